#include "settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ancm/common/setting_values.h"

namespace ancm::outofproc {
namespace {

using common::iequals;
using common::read_bool;
using common::read_int;
using common::read_seconds;
using common::read_timespan;

constexpr std::string_view kHandlerPrefix = "handlerSetting:";

std::string_view view(ancm_str s) { return s.data ? std::string_view(s.data, s.len) : ""; }

std::optional<std::string> apply_handler_setting(std::string_view name, std::string_view value,
                                                 Settings& settings) {
  if (iequals(name, "enableOutOfProcessConsoleRedirection")) {
    return read_bool(value, settings.console_redirection);
  }
  if (iequals(name, "forwardResponseConnectionHeader")) {
    return read_bool(value, settings.forward_response_connection_header);
  }
  return std::nullopt;  // in-process settings and unknown names are not ours
}

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
  } else if (name == "requestTimeout") {
    return read_timespan(value, settings.request_timeout);
  } else if (name == "rapidFailsPerMinute") {
    return read_int(value, 0, 100, settings.rapid_fails_per_minute);
  } else if (name == "processesPerApplication") {
    return read_int(value, 1, 100, settings.processes_per_application);
  } else if (name == "stdoutLogEnabled") {
    return read_bool(value, settings.stdout_log_enabled);
  } else if (name == "stdoutLogFile") {
    settings.stdout_log_file = std::filesystem::path(std::string(value));
  } else if (name == "pathBase") {
    // Not part of web.config; a host that mounts the app under a path passes it.
    std::string base(value);
    if (base.empty() || base.front() != '/') base.insert(base.begin(), '/');
    settings.path_base = base;
  }
  return std::nullopt;  // hostingModel, disableStartUpErrorPage, ...: not ours
}

}  // namespace

std::variant<Settings, std::string> Settings::from_params(const ancm_app_params& params) {
  Settings settings;
  settings.config_path = std::filesystem::path(std::string(view(params.config_path)));
  settings.app_path = std::filesystem::path(std::string(view(params.app_path)));
  for (std::size_t i = 0; i < params.settings_count; ++i) {
    std::string_view name = view(params.settings[i].name);
    std::string_view value = view(params.settings[i].value);
    if (auto error = apply_setting(name, value, settings)) {
      return "setting " + std::string(name) + ": " + *error;
    }
  }
  for (std::size_t i = 0; i < params.environment_count; ++i) {
    settings.environment.emplace_back(std::string(view(params.environment[i].name)),
                                      std::string(view(params.environment[i].value)));
  }
  if (settings.process_path.find_first_not_of(" \t") == std::string::npos) {
    return std::string("setting processPath: is empty; the program that starts the app is needed");
  }
  if (!settings.stdout_log_file.empty() && settings.stdout_log_file.is_relative() &&
      !settings.app_path.empty()) {
    settings.stdout_log_file = (settings.app_path / settings.stdout_log_file).lexically_normal();
  }
  if (settings.stdout_log_file.empty()) {
    settings.stdout_log_file = settings.app_path / "aspnetcore-stdout";
  }
  return settings;
}

}  // namespace ancm::outofproc
