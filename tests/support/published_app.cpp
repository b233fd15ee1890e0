#include "published_app.h"

#include <regex>
#include <stdexcept>

#include "temp_dir.h"

namespace ancm::test {

std::filesystem::path published_app(const std::string& name) {
  return std::filesystem::path(ANCM_TEST_APPS_ROOT) / name;
}

std::string edit_web_config(const std::string& published, const AspNetCoreEdit& edit) {
  auto start = published.find("<aspNetCore ");
  auto end = published.find("/>", start);
  if (start == std::string::npos || end == std::string::npos) {
    throw std::runtime_error("no self-closing <aspNetCore .../> in the published web.config");
  }
  std::string element = published.substr(start, end - start);
  element = std::regex_replace(element, std::regex(R"(hostingModel="[^"]*")"),
                               "hostingModel=\"" + edit.hosting_model + "\"");
  // An attribute the published file already has is replaced, not repeated.
  std::regex attribute(R"re(([A-Za-z]+)="([^"]*)")re");
  std::string added;
  for (std::sregex_iterator
           it(edit.extra_attributes.begin(), edit.extra_attributes.end(), attribute),
       end;
       it != end; ++it) {
    std::regex existing(" " + (*it)[1].str() + R"re(="[^"]*")re");
    if (std::regex_search(element, existing)) {
      element = std::regex_replace(element, existing, " " + it->str());
    } else {
      added += " " + it->str();
    }
  }
  element += added + ">\n";
  if (!edit.environment.empty()) {
    element += "        <environmentVariables>\n";
    for (const auto& [name, value] : edit.environment) {
      element +=
          "          <environmentVariable name=\"" + name + "\" value=\"" + value + "\" />\n";
    }
    element += "        </environmentVariables>\n";
  }
  if (!edit.handler_settings.empty()) {
    element += "        <handlerSettings>\n";
    for (const auto& [name, value] : edit.handler_settings) {
      element += "          <handlerSetting name=\"" + name + "\" value=\"" + value + "\" />\n";
    }
    element += "        </handlerSettings>\n";
  }
  element += "      </aspNetCore>";
  if (!edit.max_allowed_content_length.empty()) {
    element += "\n      <security><requestFiltering><requestLimits maxAllowedContentLength=\"" +
               edit.max_allowed_content_length + "\" /></requestFiltering></security>";
  }
  return published.substr(0, start) + element + published.substr(end + 2);
}

void install_app(const std::string& name, const std::filesystem::path& folder,
                 const AspNetCoreEdit& edit) {
  auto source = published_app(name);
  if (!std::filesystem::exists(source / "web.config")) {
    throw std::runtime_error("the test app " + source.string() + " is not published");
  }
  std::filesystem::copy(
      source, folder,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  write_file(folder / "web.config", edit_web_config(read_file(source / "web.config"), edit));
}

void deploy(const std::filesystem::path& from, const std::filesystem::path& to) {
  for (const auto& entry : std::filesystem::directory_iterator(from)) {
    if (!entry.is_regular_file() || entry.path().filename() == "web.config") continue;
    auto staged = to / ("." + entry.path().filename().string() + ".new");
    std::filesystem::copy_file(entry.path(), staged,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(staged, to / entry.path().filename());
  }
}

}  // namespace ancm::test
