// The fixed parts of the in-process handler's log lines that people, scripts
// and the tests look for.
#pragma once

#include <string_view>

namespace ancm::inproc {

// "the application's Main returned exit code 5" (and, while starting, the
// 500.30 page's detail).
inline constexpr std::string_view kMainReturnedExitCode =
    "the application's Main returned exit code ";

}  // namespace ancm::inproc
