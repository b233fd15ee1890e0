#include "http2_stream_state.h"

#include <algorithm>
#include <array>
#include <utility>

namespace ancm::server {
namespace {

template <class State, std::size_t N>
constexpr bool listed(const std::array<std::pair<State, State>, N>& table, State from, State to) {
  return std::find(table.begin(), table.end(), std::pair{from, to}) != table.end();
}

// Who moves each: http2_stream.cpp, in the function named.
using RP = Http2RequestPhase;
constexpr std::array kRequestMoves = {
    std::pair{RP::Free, RP::ReceivingHead},       // begin
    std::pair{RP::ReceivingHead, RP::InHandler},  // dispatch
    std::pair{RP::ReceivingHead, RP::Refused},    // dispatch: the head broke a rule
    std::pair{RP::ReceivingHead, RP::Free},       // recycle: closed before its head ended
    std::pair{RP::InHandler, RP::Ended},          // end_request (complete, abort, reset)
    std::pair{RP::Ended, RP::Free},               // recycle: ended and closed
    std::pair{RP::Refused, RP::Free},             // recycle: answered and closed
};

using SP = Http2ResponsePhase;
constexpr std::array kResponseMoves = {
    std::pair{SP::NotStarted, SP::HeadOpen},      // dispatch
    std::pair{SP::HeadOpen, SP::ServerAnswer},    // refuse_body
    std::pair{SP::NotStarted, SP::ServerAnswer},  // dispatch: a refused head
    std::pair{SP::HeadOpen, SP::HeadSubmitted},   // submit_head
    std::pair{SP::ServerAnswer, SP::BodyEnded},   // the answer went with END_STREAM
    std::pair{SP::HeadSubmitted, SP::BodyEnded},  // the data source's EOF
    std::pair{SP::HeadOpen, SP::BodyEnded},       // complete with no body: HEADERS ends it
    // recycle, however far it went
    std::pair{SP::HeadOpen, SP::NotStarted},
    std::pair{SP::ServerAnswer, SP::NotStarted},
    std::pair{SP::HeadSubmitted, SP::NotStarted},
    std::pair{SP::BodyEnded, SP::NotStarted},
    std::pair{SP::Reset, SP::NotStarted},
};

}  // namespace

bool is_legal(Http2RequestPhase from, Http2RequestPhase to) {
  return listed(kRequestMoves, from, to);
}

bool is_legal(Http2ResponsePhase from, Http2ResponsePhase to) {
  // A stream may be reset in every phase of its response but the last.
  if (to == Http2ResponsePhase::Reset) {
    return from != Http2ResponsePhase::NotStarted && from != Http2ResponsePhase::Reset;
  }
  return listed(kResponseMoves, from, to);
}

std::string_view name(Http2RequestPhase phase) {
  switch (phase) {
    case Http2RequestPhase::Free:
      return "Free";
    case Http2RequestPhase::ReceivingHead:
      return "ReceivingHead";
    case Http2RequestPhase::InHandler:
      return "InHandler";
    case Http2RequestPhase::Ended:
      return "Ended";
    case Http2RequestPhase::Refused:
      return "Refused";
  }
  return "?";
}

std::string_view name(Http2ResponsePhase phase) {
  switch (phase) {
    case Http2ResponsePhase::NotStarted:
      return "NotStarted";
    case Http2ResponsePhase::HeadOpen:
      return "HeadOpen";
    case Http2ResponsePhase::ServerAnswer:
      return "ServerAnswer";
    case Http2ResponsePhase::HeadSubmitted:
      return "HeadSubmitted";
    case Http2ResponsePhase::BodyEnded:
      return "BodyEnded";
    case Http2ResponsePhase::Reset:
      return "Reset";
  }
  return "?";
}

}  // namespace ancm::server
