// `ancm-host check`: the listeners `ancm-host run` with the same flags would
// serve, each with its scheme, TLS, HTTP/2 and, for a unix: socket, the
// socket file's path, mode and group.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ancm/server/options.h"

namespace ancm::tools {

// The URLs `run` would bind, decided as the master decides: the --listen
// URLs; without any, nothing when systemd passes sockets (LISTEN_FDS), else
// kDefaultListenUrl.
std::optional<std::vector<std::string>> urls_run_would_bind(const server::MasterOptions& options);

// Prints them; a URL that does not parse is left to check_ports (app_checks.h),
// which reports it.
void print_listeners(const server::MasterOptions& options);

}  // namespace ancm::tools
