// The debug log (spdlog underneath): levels and locations as ANCM's
// debugLevel / debugFile and ASPNETCORE_MODULE_DEBUG[_FILE] define them.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ancm::common {

enum class LogLevel { Error, Warning, Info, Trace };

struct LogSettings {
  LogLevel level = LogLevel::Info;
  bool console = true;      // stderr
  bool file = false;        // debug_file
  bool eventlog = false;    // syslog (journald picks it up)
  std::filesystem::path debug_file;
};

// Parses "FILE,TRACE" style values (case-insensitive, ',' or ' ' separated;
// a number 1-4 is a level as in ANCM). Unknown words go to *unknown.
LogSettings parse_debug_level(std::string_view value, LogSettings base,
                              std::vector<std::string>* unknown = nullptr);

// Settings from web.config handler settings, then ASPNETCORE_MODULE_DEBUG and
// ASPNETCORE_MODULE_DEBUG_FILE from the environment (the environment wins).
// A relative debug file is taken against app_path; the default file name is
// aspnetcore-debug.log in app_path.
LogSettings resolve_log_settings(std::string_view debug_level,
                                 const std::filesystem::path& debug_file,
                                 const std::filesystem::path& app_path);

// Replaces the default logger. `process` names the role in each line
// ("master", "worker"). Folders of the debug file are created.
void configure_logging(const LogSettings& settings, std::string_view process);

}  // namespace ancm::common
