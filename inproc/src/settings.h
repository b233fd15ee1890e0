// The in-process handler's view of the application's configuration.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ancm/handler_abi.h"

namespace ancm::inproc {

struct Settings {
  std::filesystem::path app_path;
  std::string process_path;  // "dotnet" or the self-contained app's executable
  std::string arguments;
  std::chrono::seconds startup_time_limit{120};  // 0 = no limit
  std::chrono::seconds shutdown_time_limit{10};
  bool stdout_log_enabled = false;
  std::filesystem::path stdout_log_file;
  std::size_t stack_size = 1024 * 1024;
  bool call_startup_hook = true;
  bool set_current_directory = true;
  std::chrono::milliseconds shutdown_delay{0};
  std::uint64_t max_request_body_size = 30'000'000;  // requestLimits maxAllowedContentLength
  // web.config's environmentVariables, then ANCM's own (common::module_variables).
  std::vector<std::pair<std::string, std::string>> environment;
  // The host's listening URLs, ';'-separated: the managed server lists them
  // in IServerAddressesFeature as IIS lists its site bindings.
  std::string bindings;

  static std::variant<Settings, std::string> from_params(const ancm_app_params& params);
};

}  // namespace ancm::inproc
