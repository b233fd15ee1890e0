// The master: owns the listening sockets and supervises one worker.
#pragma once

#include "ancm/server/options.h"

namespace ancm::server {

// Binds, starts the worker, restarts it when it dies, and stops everything
// on SIGTERM/SIGINT. Returns the process exit code.
int run_master(const MasterOptions& options);

}  // namespace ancm::server
