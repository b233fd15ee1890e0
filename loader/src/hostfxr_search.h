// Where libhostfxr.so is: in one dotnet root, and across the search order.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/loader/loader.h"

namespace ancm::loader::detail {

// <root>/host/fxr/<highest version holding libhostfxr.so>/libhostfxr.so, or
// why there is none ("/x/host/fxr does not exist", ...).
common::Result<std::filesystem::path> hostfxr_in_root(const std::filesystem::path& root);

struct FoundHostfxr {
  std::filesystem::path root;
  std::filesystem::path hostfxr;
  std::string found_via;  // "DOTNET_ROOT", "dotnet on PATH (/usr/bin/dotnet)", ...
};

// The first root with a hostfxr, in the order DOTNET_ROOT_<ARCH>, DOTNET_ROOT,
// realpath(dotnet on PATH)'s folder, the install_location files, the default
// roots. A root without hostfxr is skipped, as the muxer does. The error lists
// every place tried and what was wrong with it.
common::Result<FoundHostfxr> find_hostfxr_for_muxer(const EnvLookup& env,
                                                    const SearchLocations& locations);

// The name of the architecture-specific variable, e.g. DOTNET_ROOT_X64.
std::string arch_dotnet_root_variable();

// /etc/dotnet/install_location_<arch>, /etc/dotnet/install_location.
std::vector<std::filesystem::path> default_install_location_files();

}  // namespace ancm::loader::detail
