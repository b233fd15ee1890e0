// The nghttp2 server session an Http2Session drives: nghttp2's callbacks
// bound to the session's member functions, and the options that bound what a
// client may make it do (flow control by hand, the CVE-2023-44487 reset rate,
// the CVE-2024-27316 CONTINUATION count, SETTINGS and outbound-ack floods).
#pragma once

#include "http2_session.h"

namespace ancm::server {

// Stream resets a client may cause: a burst, then so many per second
// (nghttp2's own defaults, stated here so they are ours).
inline constexpr std::uint64_t kHttp2ResetBurst = 1000;
inline constexpr std::uint64_t kHttp2ResetRate = 33;
// CONTINUATION frames after one HEADERS frame.
inline constexpr std::size_t kHttp2MaxContinuations = 8;
// Entries in one SETTINGS frame.
inline constexpr std::size_t kHttp2MaxSettings = 32;
// Control frames (SETTINGS and PING acks, RST_STREAM) queued for a client
// that does not read them: past this the connection is dropped.
inline constexpr std::size_t kHttp2MaxOutboundAck = 1000;

Nghttp2SessionPtr new_http2_server_session(Http2Session& owner);

}  // namespace ancm::server
