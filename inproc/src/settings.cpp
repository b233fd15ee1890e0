#include "settings.h"

#include <algorithm>

#include "ancm/common/module_environment.h"
#include "ancm/common/setting_values.h"

namespace ancm::inproc {
namespace {

using common::iequals;
using common::read_bool;
using common::read_integer;
using common::read_seconds;

constexpr std::string_view kHandlerPrefix = "handlerSetting:";
constexpr std::int64_t kMaxStackSize = std::int64_t{1} << 40;

std::string_view view(ancm_str s) { return s.data ? std::string_view(s.data, s.len) : ""; }

std::optional<std::string> apply_handler_setting(std::string_view name, std::string_view value,
                                                 Settings& settings) {
  std::int64_t number = 0;
  if (iequals(name, "stackSize")) {
    if (auto error = read_integer(value, 1, kMaxStackSize, number)) return error;
    settings.stack_size = static_cast<std::size_t>(number);
  } else if (iequals(name, "shutdownDelay")) {
    if (auto error = read_integer(value, 0, INT32_MAX, number)) return error;
    settings.shutdown_delay = std::chrono::milliseconds(number);
  } else if (iequals(name, "callStartupHook")) {
    return read_bool(value, settings.call_startup_hook);
  } else if (iequals(name, "setCurrentDirectory")) {
    return read_bool(value, settings.set_current_directory);
  }
  return std::nullopt;  // out-of-process settings and unknown names are not ours
}

// The shim sends values config/ already validated; a malformed one here
// means the two disagree, which is reported rather than guessed around.
std::optional<std::string> apply_setting(std::string_view name, std::string_view value,
                                         Settings& settings) {
  if (name.starts_with(kHandlerPrefix)) {
    return apply_handler_setting(name.substr(kHandlerPrefix.size()), value, settings);
  }
  if (name == "processPath") {
    settings.process_path = std::string(value);
  } else if (name == "arguments") {
    settings.arguments = std::string(value);
  } else if (name == "startupTimeLimit") {
    return read_seconds(value, settings.startup_time_limit);
  } else if (name == "shutdownTimeLimit") {
    return read_seconds(value, settings.shutdown_time_limit);
  } else if (name == "stdoutLogEnabled") {
    return read_bool(value, settings.stdout_log_enabled);
  } else if (name == "stdoutLogFile") {
    settings.stdout_log_file = std::string(value);
  } else if (name == "bindings") {
    settings.bindings = std::string(value);
  } else if (name == "requestLimits:maxAllowedContentLength") {
    std::int64_t bytes = 0;
    if (auto error = read_integer(value, 0, UINT32_MAX, bytes)) return error;
    settings.max_request_body_size = static_cast<std::uint64_t>(bytes);
  }
  return std::nullopt;
}

}  // namespace

std::variant<Settings, std::string> Settings::from_params(const ancm_app_params& params) {
  Settings settings;
  settings.app_path = std::string(view(params.app_path));
  for (size_t i = 0; i < params.settings_count; ++i) {
    std::string_view name = view(params.settings[i].name);
    if (auto error = apply_setting(name, view(params.settings[i].value), settings)) {
      return "setting " + std::string(name) + ": " + *error;
    }
  }
  for (size_t i = 0; i < params.environment_count; ++i) {
    settings.environment.emplace_back(std::string(view(params.environment[i].name)),
                                      std::string(view(params.environment[i].value)));
  }
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
  if (settings.process_path.empty()) return std::string("processPath is empty");
  return settings;
}

}  // namespace ancm::inproc
