// The C# test apps the build publishes (tests/apps), copied per test so a
// test can edit its web.config and drop app_offline.htm freely.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace ancm::test {

// build/tests/apps/<name>
std::filesystem::path published_app(const std::string& name);

// How a test changes the web.config that `dotnet publish` wrote.
struct AspNetCoreEdit {
  std::string hosting_model = "outofprocess";
  std::string extra_attributes;  // e.g. R"(startupTimeLimit="2")"
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<std::pair<std::string, std::string>> handler_settings;
  // requestLimits maxAllowedContentLength, written beside aspNetCore; empty: none.
  std::string max_allowed_content_length;
};

// Rewrites the aspNetCore element of a published web.config: sets
// hostingModel, adds the attributes and the child collections (and
// request filtering, when asked for).
std::string edit_web_config(const std::string& published, const AspNetCoreEdit& edit);

// Replaces the app's files in `to` with those of `from` (not web.config) the
// way a deploy should: write beside, then rename, so the running process
// keeps the files it has mapped.
void deploy(const std::filesystem::path& from, const std::filesystem::path& to);

// Copies the published app into folder and writes its edited web.config.
void install_app(const std::string& name, const std::filesystem::path& folder,
                 const AspNetCoreEdit& edit);

}  // namespace ancm::test
