// Whether an HTTP/2 stream carries a tunnel (RFC 8441 extended CONNECT,
// http2_stream_tunnel.cpp): the handler holds its ancm_stream from upgrade()
// until stream_close, apart from who owns the request (Http2RequestPhase):
// a handler may end its request and keep the tunnel, or close the tunnel
// first. Moved only through Http2Stream::enter, checked against is_legal.
#pragma once

#include <cstdint>
#include <string_view>

namespace ancm::server {

enum class Http2TunnelPhase : std::uint8_t {
  None,    // an ordinary request (or an extended CONNECT not upgraded yet)
  Open,    // the handler holds the stream: DATA both ways
  Closed,  // stream_close: END_STREAM queued, the stream waits to be recycled
};

bool is_legal(Http2TunnelPhase from, Http2TunnelPhase to);
std::string_view name(Http2TunnelPhase phase);

}  // namespace ancm::server
