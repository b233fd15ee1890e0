#include "ancm/common/current_executable.h"

#include <system_error>

namespace ancm::common {

std::filesystem::path current_executable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : path;
}

}  // namespace ancm::common
