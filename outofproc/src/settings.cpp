#include "settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ancm::outofproc {
namespace {

constexpr std::string_view kHandlerPrefix = "handlerSetting:";
constexpr std::int64_t kMaxTimespanSeconds = 360 * 3600;

std::string_view view(ancm_str s) { return s.data ? std::string_view(s.data, s.len) : ""; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Each reader stores the value or returns why it cannot.
std::optional<std::string> read_integer(std::string_view text, std::int64_t min, std::int64_t max,
                                        std::int64_t& out) {
  auto value = whole_number(text);
  if (!value || *value < min || *value > max) {
    return quoted(text) + " is not a whole number from " + std::to_string(min) + " to " +
           std::to_string(max);
  }
  out = *value;
  return std::nullopt;
}

std::optional<std::string> read_int(std::string_view text, int min, int max, int& out) {
  std::int64_t value = 0;
  if (auto error = read_integer(text, min, max, value)) return error;
  out = static_cast<int>(value);
  return std::nullopt;
}

std::optional<std::string> read_seconds(std::string_view text, std::chrono::seconds& out) {
  std::int64_t value = 0;
  if (auto error = read_integer(text, 0, kMaxTimespanSeconds, value)) return error;
  out = std::chrono::seconds(value);
  return std::nullopt;
}

std::optional<std::string> read_bool(std::string_view text, bool& out) {
  if (iequals(text, "true")) {
    out = true;
  } else if (iequals(text, "false")) {
    out = false;
  } else {
    return quoted(text) + " is not true or false";
  }
  return std::nullopt;
}

// "hh:mm:ss" as the configuration resolves it (hours may exceed 24), or a
// plain number of seconds.
std::optional<std::string> read_timespan(std::string_view text, std::chrono::seconds& out) {
  if (text.find(':') == std::string_view::npos) return read_seconds(text, out);
  std::int64_t parts[3] = {};
  std::string_view rest = text;
  for (int i = 0; i < 3; ++i) {
    std::size_t colon = rest.find(':');
    if ((i < 2) != (colon != std::string_view::npos)) {
      return quoted(text) + " is not a time span hh:mm:ss";
    }
    auto value = whole_number(rest.substr(0, colon));
    if (!value || *value < 0 || (i > 0 && *value > 59)) {
      return quoted(text) + " is not a time span hh:mm:ss";
    }
    parts[i] = *value;
    rest = i < 2 ? rest.substr(colon + 1) : std::string_view{};
  }
  if (parts[0] > 360) return quoted(text) + " is longer than 360 hours";
  out = std::chrono::seconds(parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return std::nullopt;
}

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
