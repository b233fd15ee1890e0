// Where Ancm.Host.dll (the managed server and its startup hook) is.
#pragma once

#include <filesystem>

namespace ancm::inproc {

// ANCM_MANAGED_ASSEMBLY when set, else managed/Ancm.Host.dll beside this
// library (build/lib/managed/Ancm.Host.dll).
std::filesystem::path managed_assembly_path();

}  // namespace ancm::inproc
