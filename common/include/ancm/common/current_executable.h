// The running binary's own path (/proc/self/exe): what the master re-executes
// as its worker, and where an installed tree's other parts are found from.
#pragma once

#include <filesystem>

namespace ancm::common {

// Empty when /proc is not mounted.
std::filesystem::path current_executable();

}  // namespace ancm::common
