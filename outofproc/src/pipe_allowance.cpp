#include "pipe_allowance.h"

#include <unistd.h>

#include <sstream>
#include <string>

#include "process_group.h"

namespace ancm::outofproc {
namespace {

// fs.pipe-user-pages-soft's default: 16,384 pages of 4 KiB.
constexpr std::size_t kDefaultAllowance = 64 * 1024 * 1024;

std::optional<std::size_t> user_pipe_allowance() {
  std::optional<std::string> text = read_proc_file("/proc/sys/fs/pipe-user-pages-soft");
  if (!text) return std::nullopt;
  std::size_t pages = 0;
  if (!(std::istringstream(*text) >> pages)) return std::nullopt;
  long page_size = ::sysconf(_SC_PAGESIZE);
  return pages * static_cast<std::size_t>(page_size > 0 ? page_size : 4096);
}

}  // namespace

std::size_t relay_pipe_budget(std::optional<std::size_t> user_allowance) {
  std::size_t allowance =
      user_allowance && *user_allowance > 0 ? *user_allowance : kDefaultAllowance;
  return allowance / 4 * 3;
}

std::size_t relay_pipe_budget_here() { return relay_pipe_budget(user_pipe_allowance()); }

}  // namespace ancm::outofproc
