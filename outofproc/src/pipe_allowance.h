// How much pipe capacity one application's relay pipes (relay_pipe.h) may
// hold open at once. The kernel charges each open pipe's whole capacity to
// its user and, past the user's allowance (fs.pipe-user-pages-soft, 64 MiB
// by default), gives new pipes two pages: the children, which run as the
// same user, would get those too. So an unprivileged worker keeps a quarter
// of the allowance for them. A privileged one is not limited by the kernel,
// but a full pipe pins its capacity in kernel memory: its budget bounds that.
#pragma once

#include <cstddef>
#include <optional>

namespace ancm::outofproc {

// What a privileged worker's pipes may hold (a full pipe's pages stay the
// kernel's until the client took them).
inline constexpr std::size_t kPrivilegedPipeBudget = 128 * 1024 * 1024;

// The budget for a worker whose user may open `user_allowance` bytes of pipe
// capacity (nullopt or 0: the system sets no allowance).
std::size_t relay_pipe_budget(std::optional<std::size_t> user_allowance, bool privileged);

// The same for this process, from /proc/sys/fs/pipe-user-pages-soft and its
// effective capabilities (CAP_SYS_RESOURCE or CAP_SYS_ADMIN lift the
// allowance).
std::size_t relay_pipe_budget_here();

}  // namespace ancm::outofproc
