#include "ancm/common/current_executable.h"

#include <system_error>

namespace ancm::common {

std::filesystem::path current_executable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : path;
}

std::vector<std::filesystem::path> companion_dirs(const std::filesystem::path& executable) {
  auto prefix = executable.parent_path().parent_path();
  return {(prefix / "lib" / "ancm-host").lexically_normal(), (prefix / "lib").lexically_normal()};
}

}  // namespace ancm::common
