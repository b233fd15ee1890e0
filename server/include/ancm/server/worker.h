// The worker: accepts connections, parses HTTP and hands requests to the shim.
#pragma once

#include "ancm/server/options.h"

namespace ancm::server {

// Serves until told to stop, then drains in-flight requests. Returns the
// process exit code.
int run_worker(const WorkerOptions& options);

}  // namespace ancm::server
