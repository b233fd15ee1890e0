// The running binary's own path (/proc/self/exe): what `run` starts its
// workers as, and where an installed tree's other parts are found from.
#pragma once

#include <filesystem>
#include <vector>

namespace ancm::common {

// Empty when /proc is not mounted.
std::filesystem::path current_executable();

// Where the files that come with the binary `executable` are (the handler
// libraries, ancm-host-master), in the order to look: as installed
// (<bin>/../lib/ancm-host, cmake/Install.cmake), then as built (<bin>/../lib).
std::vector<std::filesystem::path> companion_dirs(const std::filesystem::path& executable);

}  // namespace ancm::common
