// The words every "how did this process end" log line is built from. The
// master (workers) and the out-of-process handler (the app's process) both
// write them; people, scripts and the tests look for them.
#pragma once

#include <sys/wait.h>

#include <cstring>
#include <string>
#include <string_view>

namespace ancm::common {

inline constexpr std::string_view kExitedWithCode = "exited with code ";
inline constexpr std::string_view kKilledBySignal = "was killed by signal ";

// A waitpid(2) status in those words: "exited with code 3",
// "was killed by signal 9 (Killed)".
inline std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return std::string(kExitedWithCode) + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return std::string(kKilledBySignal) + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "ended with status " + std::to_string(status);
}

}  // namespace ancm::common
