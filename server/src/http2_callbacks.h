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
// CONTINUATION, SETTINGS and outbound-ack limits: common/nghttp2_handles.h.

common::Nghttp2SessionPtr new_http2_server_session(Http2Session& owner);

}  // namespace ancm::server
