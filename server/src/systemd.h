// systemd integration: readiness notification (Type=notify) and socket
// activation (LISTEN_FDS), without linking libsystemd.
#pragma once

#include <string_view>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/common/unique_fd.h"

namespace ancm::server {

// Sends a state string ("READY=1", "RELOADING=1", "STOPPING=1", ...) to
// $NOTIFY_SOCKET; does nothing when it is not set.
void notify_systemd(std::string_view state);

// The listening sockets systemd passed (fds 3.. when LISTEN_PID is this
// process), made close-on-exec; empty when none were passed. The LISTEN_*
// variables are removed so children do not see them. Each must be a
// listening stream socket (ListenStream=) over IPv4, IPv6 or a Unix domain
// path; anything else is an error naming the fd.
common::Result<std::vector<common::UniqueFd>> inherited_listeners();

}  // namespace ancm::server
