// The phase of one HTTP/2 connection (Http2Session), one value moved only
// through Http2Session::enter, which checks the move against the table here
// (is_legal, http2_session_state.cpp) with common::checked_move: whether it
// serves, told the client it is refused, went away for a timeout, or closed.
#pragma once

#include <cstdint>
#include <string_view>

namespace ancm::server {

enum class Http2SessionPhase : std::uint8_t {
  Serving,  // frames flow both ways (a drain's GOAWAY NO_ERROR included)
  Refused,  // GOAWAY with an error went for what the client sent, and was logged once
  // GOAWAY went for a timeout: the linger's end closes, whatever comes (a
  // refusal meanwhile is logged, the phase stays; no timer is re-armed).
  TimedOut,
  Closed,  // the socket is closed; open streams ended as reset
};

bool is_legal(Http2SessionPhase from, Http2SessionPhase to);
std::string_view name(Http2SessionPhase phase);

}  // namespace ancm::server
