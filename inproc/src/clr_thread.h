// The thread the app's Main runs on, created with the configured stack size
// (stackSize), as ANCM creates its CLR thread.
#pragma once

#include <cstddef>
#include <functional>

#include "ancm/common/result.h"

namespace ancm::inproc {

// Starts body on a detached thread with this stack size: a .NET runtime
// cannot be stopped from outside, so nothing joins it; body owns whatever
// it needs (the process ends it). Returns why it could not start, if so.
common::Result<void> start_clr_thread(std::size_t stack_size, std::function<void()> body);

}  // namespace ancm::inproc
