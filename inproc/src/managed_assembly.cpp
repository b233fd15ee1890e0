#include "managed_assembly.h"

#include <dlfcn.h>

#include <cstdlib>

namespace ancm::inproc {

std::filesystem::path managed_assembly_path() {
  if (const char* path = std::getenv("ANCM_MANAGED_ASSEMBLY"); path && *path) return path;
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&managed_assembly_path), &info) == 0 || !info.dli_fname) {
    return "managed/Ancm.Host.dll";
  }
  return std::filesystem::path(info.dli_fname).parent_path() / "managed" / "Ancm.Host.dll";
}

}  // namespace ancm::inproc
