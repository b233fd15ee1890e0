// What the worker does for an in-process .NET runtime while it still has one
// thread: some set-up is cheap only then.
#pragma once

namespace ancm::server {

// The .NET runtime registers the process for private expedited membarrier as
// it starts. In a process that already runs several threads (the worker
// does by then) the kernel first waits for an RCU grace period, about 20 ms
// of every in-process cold start; registered earlier, single-threaded, its
// registration returns at once. Harmless where membarrier is unsupported.
void register_membarrier_while_single_threaded();

}  // namespace ancm::server
