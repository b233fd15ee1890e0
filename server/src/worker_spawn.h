// Starts a worker process: `ancm-host worker` with the listening sockets and
// its end of a new control socket.
#pragma once

#include <sys/types.h>

#include <string>

#include "ancm/common/unique_fd.h"
#include "ancm/server/options.h"

namespace ancm::server {

struct SpawnedWorker {
  pid_t pid = -1;
  common::UniqueFd control;  // the master's end (non-blocking)
};

// Forks and execs `<executable> worker` for `options` (listen_fds and
// tls_listen_fds set, its control_fd filled in here). The worker gets SIGTERM when the master dies.
// Throws std::runtime_error naming what failed.
SpawnedWorker spawn_worker(const std::string& executable, WorkerOptions options);

}  // namespace ancm::server
