// Naming and opening the stdout log file that ANCM writes for an app.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "ancm/common/unique_fd.h"

namespace ancm::common {

// <base>_<yyyyMMddHHmmss>_<pid>.log with the time in UTC; base is the
// resolved stdoutLogFile (e.g. /app/logs/stdout).
std::filesystem::path stdout_log_path(const std::filesystem::path& base,
                                      std::chrono::system_clock::time_point when,
                                      pid_t pid);

struct OpenedLog {
  UniqueFd fd;                  // invalid when the file could not be opened
  std::filesystem::path path;
  std::string error;            // why it could not be opened (for a warning)
};

// Creates the folders and opens the file for appending (O_CLOEXEC).
OpenedLog open_stdout_log(const std::filesystem::path& base, pid_t pid);

}  // namespace ancm::common
