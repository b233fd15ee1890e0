// The one typed reader of the settings the shim hands a handler library: the
// text key/value list config/ resolved and validated, written into
// ancm_app_params by the shim (shim/src/app_params.cpp). Both handler
// libraries read it here rather than each re-parsing it; they do not link
// config/ (its XML parser), so the reader lives in common/.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ancm/common/module_environment.h"
#include "ancm/common/result.h"
#include "ancm/handler_abi.h"

namespace ancm::common {

struct ResolvedSettings {
  std::filesystem::path config_path;
  std::filesystem::path app_path;
  std::string process_path;  // "dotnet", a bare name (PATH), or an absolute path
  std::string arguments;     // split like a shell command line when starting
  std::chrono::seconds startup_time_limit{120};  // 0 = no limit (in-process)
  std::chrono::seconds shutdown_time_limit{10};
  std::chrono::seconds request_timeout{120};
  int rapid_fails_per_minute = 10;
  int processes_per_application = 1;
  bool stdout_log_enabled = false;
  std::filesystem::path stdout_log_file;             // as written; each handler resolves it
  std::uint64_t max_request_body_size = 30'000'000;  // requestLimits maxAllowedContentLength
  // The host's listening URLs, ';'-separated: the in-process server lists them
  // in IServerAddressesFeature as IIS lists its site bindings.
  std::string bindings;
  std::string path_base = "/";  // ASPNETCORE_APPL_PATH (out-of-process)
  // handlerSettings
  std::size_t stack_size = 1024 * 1024;
  bool call_startup_hook = true;
  bool set_current_directory = true;
  std::chrono::milliseconds shutdown_delay{0};
  bool console_redirection = true;  // enableOutOfProcessConsoleRedirection
  bool forward_response_connection_header = false;
  bool warm_start = true;  // start the children at create, not at the first request
  bool batch_scheduling = true;  // the children run SCHED_BATCH
  // web.config environmentVariables, expanded, in order.
  std::vector<std::pair<std::string, std::string>> environment;
};

// Reads `params` for the handler of `hosting`: the settings that hosting
// model uses are checked (a malformed one means config/ and the reader
// disagree, which is reported rather than guessed around: "setting <name>:
// <why>"); the other model's handlerSettings and unknown names are skipped.
Result<ResolvedSettings> read_resolved_settings(const ancm_app_params& params,
                                                ModuleHosting hosting);

}  // namespace ancm::common
