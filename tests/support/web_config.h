// web.config text for tests, shaped like the one `dotnet publish` writes.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ancm::test {

struct WebConfig {
  std::string process_path = "dotnet";
  std::string arguments = ".\\App.dll";
  std::string hosting_model = "outofprocess";
  std::string extra_attributes;  // e.g. R"(startupTimeLimit="5")"
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<std::pair<std::string, std::string>> handler_settings;

  std::string text() const;
};

}  // namespace ancm::test
