// The words every "how did this process end" log line is built from. The
// master (workers) and the out-of-process handler (the app's process) both
// write them; people, scripts and the tests look for them.
#pragma once

#include <string_view>

namespace ancm::common {

inline constexpr std::string_view kExitedWithCode = "exited with code ";
inline constexpr std::string_view kKilledBySignal = "was killed by signal ";

}  // namespace ancm::common
