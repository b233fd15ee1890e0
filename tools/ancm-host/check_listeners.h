// `ancm-host check`: the listeners `ancm-host run` with the same flags would
// serve, each with its scheme, TLS, HTTP/2 and, for a unix: socket, the
// socket file's path, mode and group.
#pragma once

#include "ancm/server/options.h"

namespace ancm::tools {

// Prints them; a URL that does not parse is left to check_ports (app_checks.h),
// which reports it.
void print_listeners(const server::MasterOptions& options);

}  // namespace ancm::tools
