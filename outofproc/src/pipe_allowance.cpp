#include "pipe_allowance.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>

#include "process_group.h"

namespace ancm::outofproc {
namespace {

constexpr int kCapSysAdmin = 21;
constexpr int kCapSysResource = 24;

std::optional<std::size_t> user_pipe_allowance() {
  std::optional<std::string> text = read_proc_file("/proc/sys/fs/pipe-user-pages-soft");
  if (!text) return std::nullopt;
  std::size_t pages = 0;
  if (!(std::istringstream(*text) >> pages)) return std::nullopt;
  long page_size = ::sysconf(_SC_PAGESIZE);
  return pages * static_cast<std::size_t>(page_size > 0 ? page_size : 4096);
}

// The effective set, as /proc/self/status shows it ("CapEff:\t<hex>").
bool may_exceed_pipe_allowance() {
  std::optional<std::string> status = read_proc_file("/proc/self/status");
  if (!status) return false;
  std::istringstream lines(*status);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    std::uint64_t effective = 0;
    if (!(std::istringstream(line.substr(7)) >> std::hex >> effective)) return false;
    return (effective >> kCapSysResource & 1) != 0 || (effective >> kCapSysAdmin & 1) != 0;
  }
  return false;
}

}  // namespace

std::size_t relay_pipe_budget(std::optional<std::size_t> user_allowance, bool privileged) {
  if (privileged || !user_allowance || *user_allowance == 0) return kPrivilegedPipeBudget;
  return std::min(*user_allowance / 4 * 3, kPrivilegedPipeBudget);
}

std::size_t relay_pipe_budget_here() {
  return relay_pipe_budget(user_pipe_allowance(), may_exceed_pipe_allowance());
}

}  // namespace ancm::outofproc
