#include "ancm/common/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <optional>
#include <system_error>

namespace fs = std::filesystem;

namespace ancm::common {
namespace {

constexpr const char* kDefaultDebugFile = "aspnetcore-debug.log";

std::string to_upper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return upper;
}

std::optional<LogLevel> level_named(const std::string& word) {
  if (word == "ERROR" || word == "1") return LogLevel::Error;
  if (word == "WARNING" || word == "2") return LogLevel::Warning;
  if (word == "INFO" || word == "3") return LogLevel::Info;
  if (word == "TRACE" || word == "4") return LogLevel::Trace;
  return std::nullopt;
}

std::optional<std::string> non_empty_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::Error:
      return spdlog::level::err;
    case LogLevel::Warning:
      return spdlog::level::warn;
    case LogLevel::Info:
      return spdlog::level::info;
    case LogLevel::Trace:
      return spdlog::level::trace;
  }
  return spdlog::level::info;
}

// spdlog patterns treat '%' as a flag; a role name is plain text.
std::string escape_pattern(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    escaped += c;
    if (c == '%') escaped += '%';
  }
  return escaped;
}

}  // namespace

LogSettings parse_debug_level(std::string_view value, LogSettings base,
                              std::vector<std::string>* unknown) {
  LogSettings result = base;
  bool location_given = false;
  bool console = false, file = false, eventlog = false;
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t end = value.find_first_of(", \t", pos);
    if (end == std::string_view::npos) end = value.size();
    std::string_view token = value.substr(pos, end - pos);
    std::string word = to_upper(token);
    pos = end + 1;
    if (word.empty()) continue;
    if (auto level = level_named(word)) {
      result.level = *level;
    } else if (word == "CONSOLE") {
      console = location_given = true;
    } else if (word == "FILE") {
      file = location_given = true;
    } else if (word == "EVENTLOG") {
      eventlog = location_given = true;
    } else if (unknown != nullptr) {
      unknown->push_back(std::string(token));
    }
  }
  // Naming any location replaces the set; a bare level keeps where logs went.
  if (location_given) {
    result.console = console;
    result.file = file;
    result.eventlog = eventlog;
  }
  return result;
}

LogSettings resolve_log_settings(std::string_view debug_level, const fs::path& debug_file,
                                 const fs::path& app_path) {
  LogSettings settings = parse_debug_level(debug_level, LogSettings{});
  fs::path file = debug_file;
  if (auto env_level = non_empty_env("ASPNETCORE_MODULE_DEBUG")) {
    settings = parse_debug_level(*env_level, settings);
  }
  if (auto env_file = non_empty_env("ASPNETCORE_MODULE_DEBUG_FILE")) file = *env_file;
  if (file.empty()) file = kDefaultDebugFile;
  if (file.is_relative()) file = app_path / file;
  settings.debug_file = file.lexically_normal();
  return settings;
}

void configure_logging(const LogSettings& settings, std::string_view process) {
  std::vector<spdlog::sink_ptr> sinks;
  std::string file_problem;
  if (settings.file) {
    std::error_code ec;
    fs::create_directories(settings.debug_file.parent_path(), ec);
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(
          settings.debug_file.string(), /*truncate=*/false));
    } catch (const spdlog::spdlog_ex& e) {
      // A debug log that cannot be written must not stop the host.
      file_problem = "cannot open the debug log " + settings.debug_file.string() + ": " + e.what();
    }
  }
  // stderr also catches the warning above when the file was the only place.
  if (settings.console || !file_problem.empty()) {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  }
  if (settings.eventlog) {
    // syslog adds its own time and pid, so it gets the bare message.
    sinks.push_back(
        std::make_shared<spdlog::sinks::syslog_sink_mt>("ancm-host", LOG_PID, LOG_DAEMON, false));
  }

  auto logger = std::make_shared<spdlog::logger>("ancm", sinks.begin(), sinks.end());
  logger->set_level(to_spdlog(settings.level));
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] [" + escape_pattern(process) + ":%P:%t] %v");
  // The debug log is read after crashes; a buffered line is the one lost.
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  if (!file_problem.empty()) logger->warn("{}", file_problem);
}

}  // namespace ancm::common
