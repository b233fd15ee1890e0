#include "http2_tunnel_state.h"

namespace ancm::server {

// Who moves each: http2_stream_tunnel.cpp (upgrade, stream_close) and
// Http2Stream::recycle.
bool is_legal(Http2TunnelPhase from, Http2TunnelPhase to) {
  using T = Http2TunnelPhase;
  return (from == T::None && to == T::Open) || (from == T::Open && to == T::Closed) ||
         (from == T::Closed && to == T::None);
}

std::string_view name(Http2TunnelPhase phase) {
  switch (phase) {
    case Http2TunnelPhase::None:
      return "None";
    case Http2TunnelPhase::Open:
      return "Open";
    case Http2TunnelPhase::Closed:
      return "Closed";
  }
  return "?";
}

}  // namespace ancm::server
