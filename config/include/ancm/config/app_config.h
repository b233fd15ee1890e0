// The resolved aspNetCore configuration of one application: plain values,
// every default applied, every path absolute and POSIX.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ancm::config {

enum class HostingModel { InProcess, OutOfProcess };

const char* to_string(HostingModel model);

// handlerSettings, typed. Unknown names are kept in AppConfig::handler_settings.
struct HandlerSettings {
  std::size_t stack_size = 1024 * 1024;  // bytes
  std::string debug_level;               // raw, e.g. "FILE,TRACE"; empty = unset
  std::filesystem::path debug_file;      // absolute; empty = unset
  bool set_current_directory = true;
  bool call_startup_hook = true;
  std::chrono::milliseconds shutdown_delay{0};
  bool enable_shadow_copy = false;
  std::filesystem::path shadow_copy_directory;  // absolute; empty = unset
  bool clean_shadow_copy_directory = false;
  bool enable_out_of_process_console_redirection = true;
  bool forward_response_connection_header = false;
  // Out-of-process: start the app's processes when the worker starts (and
  // after every recycle), not at the first request. On by default, see
  // docs/configuration.md#warmstart.
  bool warm_start = true;
  // Out-of-process: the app's processes run under SCHED_BATCH, so a request
  // waking them does not preempt the worker; see
  // docs/configuration.md#batchscheduling.
  bool batch_scheduling = true;
  // A path ("/warmup", may carry a query) the worker requests through its own
  // pipeline before it takes connections; empty = none.
  std::string initialization_page;
};

// One attribute or handler setting as `ancm-host check` shows it.
struct ResolvedSetting {
  std::string name;   // web.config name; handler settings as "handlerSetting:<name>"
  std::string value;  // effective value, as text
  bool defaulted = false;
  std::string note;  // why the effective value differs from what was written, or ""
};

struct AppConfig {
  std::filesystem::path config_path;  // absolute path of web.config
  std::filesystem::path app_path;     // its folder

  // processPath after %VAR% expansion and path translation: "dotnet" stays
  // "dotnet" (resolved by the handlers); a relative path becomes absolute;
  // "X.exe" that does not exist but "X" does becomes "X".
  std::string process_path;
  // %VAR% expanded; words starting with ".\" or "..\" get '/' for '\'
  // (".\Hello.dll" -> "./Hello.dll"), everything else kept (handlers split them).
  std::string arguments;
  HostingModel hosting_model = HostingModel::InProcess;
  bool stdout_log_enabled = false;
  std::filesystem::path stdout_log_file;  // absolute, without _timestamp_pid.log
  std::chrono::seconds startup_time_limit{120};
  std::chrono::seconds shutdown_time_limit{10};
  int rapid_fails_per_minute = 10;
  std::chrono::seconds request_timeout{120};
  int processes_per_application = 1;
  bool disable_startup_error_page = false;
  bool forward_windows_auth_token = true;

  // system.webServer/security/requestFiltering/requestLimits
  // maxAllowedContentLength: the largest request body (bytes) served; IIS's
  // default. Larger is 413 (IIS says 404.13).
  std::uint64_t max_allowed_content_length = 30'000'000;

  // environmentVariables, values expanded, in document order (later wins).
  std::vector<std::pair<std::string, std::string>> environment_variables;
  // every handlerSetting as written (name, value), including unknown ones.
  std::vector<std::pair<std::string, std::string>> handler_settings;
  HandlerSettings handler;

  // Every attribute and known handler setting with its effective value.
  std::vector<ResolvedSetting> resolved;

  // The web.config line (1-based) each aspNetCore attribute is written on,
  // by its exact name, kept while reading so `ancm-host check` can point at it.
  std::map<std::string, int, std::less<>> attribute_lines;
  // 0 when the attribute is not written (its default applies).
  int line_of(std::string_view attribute) const {
    auto found = attribute_lines.find(attribute);
    return found == attribute_lines.end() ? 0 : found->second;
  }
};

}  // namespace ancm::config
