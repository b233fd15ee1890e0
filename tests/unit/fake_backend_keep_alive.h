// The fake backend's --keep-alive mode: persistent HTTP/1.1 connections
// framed the way Kestrel frames them, for the proxy tests.
#pragma once

#include <string>

namespace ancm::test {

// Serves the listening socket until the process ends. Each request the
// backend runs is appended to request_log as "conn <n> <METHOD> <target>"
// (n counts connections from 1), so a test sees smuggled requests and which
// upstream connection carried what.
int serve_keep_alive(int listener, const std::string& request_log);

}  // namespace ancm::test
