#include "master_launch.h"

#include <unistd.h>

#include <system_error>

#include "ancm/common/current_executable.h"

namespace ancm::tools {

inline constexpr const char* kMasterProgram = "ancm-host-master";

std::optional<std::filesystem::path> find_master_program() {
  auto self = common::current_executable();
  if (self.empty()) return std::nullopt;
  auto prefix = self.parent_path().parent_path();
  for (auto dir : {prefix / "lib" / "ancm-host", prefix / "lib"}) {
    auto candidate = (dir / kMasterProgram).lexically_normal();
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

void exec_master(const std::vector<std::string>& run_args) {
  auto master = find_master_program();
  auto self = common::current_executable();
  if (!master || self.empty()) return;
  std::vector<std::string> args = {self.string(), "run"};
  args.insert(args.end(), run_args.begin(), run_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ::execv(master->c_str(), argv.data());
}

}  // namespace ancm::tools
