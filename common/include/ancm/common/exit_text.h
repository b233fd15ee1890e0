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

// How a process ended, in those words: "exited with code 3", "was killed by
// signal 9 (SIGKILL)". The signal's name, not strsignal's description: it is
// what people grep for and the same in every locale.
inline std::string describe_process_end(bool exited, int code_or_signal) {
  if (exited) return std::string(kExitedWithCode) + std::to_string(code_or_signal);
  std::string text = std::string(kKilledBySignal) + std::to_string(code_or_signal);
  if (const char* name = ::sigabbrev_np(code_or_signal)) text += std::string(" (SIG") + name + ")";
  return text;
}

// A waitpid(2) status.
inline std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return describe_process_end(true, WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return describe_process_end(false, WTERMSIG(status));
  return "ended with status " + std::to_string(status);
}

}  // namespace ancm::common
