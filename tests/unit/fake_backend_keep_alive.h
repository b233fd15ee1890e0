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

// The proxy asks each child, once it listens, whether it speaks HTTP/2 (the
// HTTP/2 preface, h2c_probe.h). Like Kestrel's HTTP/1.1 endpoint the backend
// answers 400 and closes; true when fd was that probe (then closed). The
// probe is neither a request nor a counted connection.
bool answered_h2_probe(int fd);

}  // namespace ancm::test
