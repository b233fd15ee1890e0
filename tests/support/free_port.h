// A loopback TCP port nobody listens on, for a test that must start a server
// of its own (Kestrel direct, a user-chosen ASPNETCORE_PORT). Tests run in
// parallel, so a port written into a test collides; this asks the kernel.
#pragma once

#include <cstdint>

namespace ancm::test {

// A random port in 4000-9999 that 127.0.0.1 can bind right now. The range
// lies below Linux's ephemeral ports, so no outgoing connection takes it
// meanwhile, below the 10000-48000 ancm-host picks its children's ports from,
// so no test's child takes it, and inside the 1025-48000 that ANCM allows for
// ASPNETCORE_PORT.
uint16_t free_tcp_port();

}  // namespace ancm::test
