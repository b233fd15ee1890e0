// The out-of-process handler's view of the application's configuration,
// read from the shim's parameter block.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ancm/handler_abi.h"

namespace ancm::outofproc {

struct Settings {
  std::filesystem::path config_path;
  std::filesystem::path app_path;
  std::string process_path;  // "dotnet", a bare name (PATH), or an absolute path
  std::string arguments;     // split like a shell command line when spawning
  std::chrono::seconds startup_time_limit{120};
  std::chrono::seconds shutdown_time_limit{10};
  std::chrono::seconds request_timeout{120};
  int rapid_fails_per_minute = 10;
  int processes_per_application = 1;
  bool stdout_log_enabled = false;
  std::filesystem::path stdout_log_file;  // base name, without _timestamp_pid.log
  bool console_redirection = true;        // enableOutOfProcessConsoleRedirection
  bool forward_response_connection_header = false;
  std::string path_base = "/";  // ASPNETCORE_APPL_PATH
  // web.config environmentVariables, expanded, in order.
  std::vector<std::pair<std::string, std::string>> environment;

  // Reads the "processPath", "startupTimeLimit", ... and "handlerSetting:*"
  // entries. Returns an error message naming the setting on bad input.
  static std::variant<Settings, std::string> from_params(const ancm_app_params& params);
};

}  // namespace ancm::outofproc
