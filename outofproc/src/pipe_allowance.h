// How much pipe capacity one application's relay pipes (relay_pipe.h) may
// hold open at once. The kernel charges each open pipe's whole capacity to
// its user and, past the user's allowance (fs.pipe-user-pages-soft, 64 MiB
// by default), gives new pipes two pages: the children, which run as the
// same user, would get those too. So the worker keeps a quarter of the
// allowance for them. A privileged worker, which the kernel does not limit,
// keeps the same budget: a full pipe pins its capacity in kernel memory, and
// a worker run as root (the bench) then behaves as the packaged service does.
#pragma once

#include <cstddef>
#include <optional>

namespace ancm::outofproc {

// The budget for a worker whose user may open `user_allowance` bytes of pipe
// capacity; nullopt or 0 (the system sets no allowance, or it cannot be
// read): what the kernel's default allowance would give.
std::size_t relay_pipe_budget(std::optional<std::size_t> user_allowance);

// The same for this process, from /proc/sys/fs/pipe-user-pages-soft.
std::size_t relay_pipe_budget_here();

}  // namespace ancm::outofproc
