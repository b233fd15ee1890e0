// The phase of one HTTP/2 connection to a child (UpstreamH2Session), in the
// shape of the exchange's states (proxy_exchange_state.h): one value, every
// change checked against the table (is_legal) by common::checked_move.
#pragma once

#include <cstdint>
#include <string_view>

namespace ancm::outofproc {

enum class H2SessionPhase : std::uint8_t {
  Connecting,  // the TCP connect is under way; streams submitted now wait in nghttp2
  Open,        // frames flow both ways; new streams are taken
  Draining,    // the child sent GOAWAY: streams it accepted finish, no new ones
  Closed,      // the connection is gone; every stream was told
};

bool is_legal(H2SessionPhase from, H2SessionPhase to);
std::string_view name(H2SessionPhase phase);

}  // namespace ancm::outofproc
