// Random values from the kernel: the per-child secret a backend checks in
// MS-ASPNETCORE-TOKEN, and the nonce of a WebSocket handshake.
#pragma once

#include <string>

namespace ancm::outofproc {

// A fresh random 128-bit value from getrandom, as 32 lowercase hex digits.
// Throws std::system_error if the kernel has no randomness to give.
std::string new_random_token();

// A Sec-WebSocket-Key (RFC 6455 section 4.1): 16 random bytes, base64
// (24 characters). Throws as new_random_token does.
std::string new_websocket_key();

}  // namespace ancm::outofproc
