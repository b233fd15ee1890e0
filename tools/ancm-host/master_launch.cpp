#include "master_launch.h"

#include <unistd.h>

#include <optional>

#include "ancm/common/current_executable.h"
#include "ancm/common/exec_strings.h"

namespace ancm::tools {
namespace {

inline constexpr const char* kMasterProgram = "ancm-host-master";

std::optional<std::filesystem::path> find_master_program(const std::filesystem::path& self) {
  for (const auto& dir : common::companion_dirs(self)) {
    auto candidate = dir / kMasterProgram;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

}  // namespace

void exec_master(const std::filesystem::path& self, const std::vector<std::string>& run_args) {
  if (self.empty()) return;
  auto master = find_master_program(self);
  if (!master) return;
  std::vector<std::string> args = {self.string(), "run"};
  args.insert(args.end(), run_args.begin(), run_args.end());
  ::execv(master->c_str(), common::exec_strings(args).data());
}

}  // namespace ancm::tools
