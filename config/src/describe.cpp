#include "ancm/config/describe.h"

#include <algorithm>
#include <sstream>
#include <string_view>

#include "values.h"

namespace ancm::config {
namespace {

constexpr std::string_view kHandlerPrefix = "handlerSetting:";

bool is_known_handler_setting(const AppConfig& config, std::string_view name) {
  return std::any_of(config.resolved.begin(), config.resolved.end(), [&](const auto& setting) {
    std::string_view resolved = setting.name;
    return resolved.starts_with(kHandlerPrefix) &&
           detail::iequals(resolved.substr(kHandlerPrefix.size()), name);
  });
}

// Said out loud so that an empty value does not look like a cut-off line.
std::string shown(std::string_view value) {
  return value.empty() ? std::string("(not set)") : std::string(value);
}

}  // namespace

std::string describe(const AppConfig& config) {
  std::ostringstream out;
  out << "web.config: " << config.config_path.string() << '\n';
  out << "app folder: " << config.app_path.string() << '\n';

  std::size_t width = 0;
  for (const ResolvedSetting& setting : config.resolved) {
    width = std::max(width, setting.name.size());
  }
  out << "settings:\n";
  for (const ResolvedSetting& setting : config.resolved) {
    out << "  " << setting.name << std::string(width - setting.name.size(), ' ') << " = "
        << shown(setting.value);
    if (setting.defaulted) out << " (default)";
    if (!setting.note.empty()) out << " [" << setting.note << ']';
    out << '\n';
  }

  bool header = false;
  for (const auto& [name, value] : config.handler_settings) {
    if (is_known_handler_setting(config, name)) continue;
    if (!header) out << "unknown handler settings (ignored):\n";
    header = true;
    out << "  " << name << " = " << shown(value) << '\n';
  }

  out << "environment variables:";
  if (config.environment_variables.empty()) out << " (none)";
  out << '\n';
  for (const auto& [name, value] : config.environment_variables) {
    out << "  " << name << '=' << value << '\n';
  }
  return out.str();
}

}  // namespace ancm::config
