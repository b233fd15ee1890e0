#include "http2_session_state.h"

#include <algorithm>
#include <array>
#include <utility>

namespace ancm::server {
namespace {

// Who moves each: http2_session.cpp, in the function named.
using P = Http2SessionPhase;
constexpr std::array kMoves = {
    std::pair{P::Serving, P::Refused},   // refuse_connection, or nghttp2's own GOAWAY
    std::pair{P::Serving, P::TimedOut},  // on_timeout
    std::pair{P::Refused, P::TimedOut},  // on_timeout: the refused client lingers
    // Not TimedOut -> Refused: a client that breaks a rule during the linger
    // is logged and refused, but the linger's end still closes (one linger).
    std::pair{P::Serving, P::Closed},   // close: EOF, a failed write, a flood
    std::pair{P::Refused, P::Closed},   // close
    std::pair{P::TimedOut, P::Closed},  // close
};

}  // namespace

bool is_legal(Http2SessionPhase from, Http2SessionPhase to) {
  return std::find(kMoves.begin(), kMoves.end(), std::pair{from, to}) != kMoves.end();
}

std::string_view name(Http2SessionPhase phase) {
  switch (phase) {
    case Http2SessionPhase::Serving:
      return "Serving";
    case Http2SessionPhase::Refused:
      return "Refused";
    case Http2SessionPhase::TimedOut:
      return "TimedOut";
    case Http2SessionPhase::Closed:
      return "Closed";
  }
  return "?";
}

}  // namespace ancm::server
