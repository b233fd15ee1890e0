// The graceful-stop request ANCM sends a backend before signalling it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ancm::outofproc {

// POST /iisintegration with MS-ASPNETCORE-EVENT: shutdown and the child's
// token to 127.0.0.1:port. Returns the response status (202 expected), or 0
// when the request could not be made or answered within `timeout` overall.
int send_shutdown_event(std::uint16_t port, const std::string& token,
                        std::chrono::milliseconds timeout);

}  // namespace ancm::outofproc
