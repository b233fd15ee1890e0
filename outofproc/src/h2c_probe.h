// Which protocol a child's port speaks: Kestrel's cleartext endpoint serves
// either HTTP/1.1 or HTTP/2 with prior knowledge (Protocols=Http2), never
// both, and says nothing about it. Asked once, when the child starts to listen.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "process_manager.h"

namespace ancm::outofproc {

// What the first bytes of the answer to the HTTP/2 preface mean: a SETTINGS
// frame is HTTP/2; anything else is HTTP/1.1 (Kestrel's HTTP/1.1 endpoint
// answers with GOAWAY HTTP_1_1_REQUIRED, other servers with a 400, or nothing).
ChildProtocol protocol_of_answer(std::string_view first_bytes);

// Connects to 127.0.0.1:port, sends the client preface and an empty SETTINGS
// frame, and reads the first frame header back, waiting at most `timeout`.
// A child that does not answer in time is taken for HTTP/1.1.
ChildProtocol probe_child_protocol(std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace ancm::outofproc
