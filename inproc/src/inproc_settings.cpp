#include "inproc_settings.h"

#include <algorithm>

#include "ancm/common/module_environment.h"

namespace ancm::inproc {

common::Result<Settings> read_settings(const ancm_app_params& params) {
  auto read = common::read_resolved_settings(params, common::ModuleHosting::InProcess);
  if (!read.ok()) return read;
  Settings settings = std::move(read).value();
  // ANCM's own variables replace web.config's of the same name.
  for (auto& [name, value] :
       common::module_variables(common::ModuleHosting::InProcess, settings.app_path.string(),
                                settings.environment, std::nullopt)) {
    auto same = std::find_if(settings.environment.begin(), settings.environment.end(),
                             [&](const auto& entry) { return entry.first == name; });
    if (same != settings.environment.end()) {
      same->second = std::move(value);
    } else {
      settings.environment.emplace_back(std::move(name), std::move(value));
    }
  }
  if (settings.process_path.empty()) return common::fail("processPath is empty");
  return settings;
}

}  // namespace ancm::inproc
