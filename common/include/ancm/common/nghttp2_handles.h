// Owning handles for nghttp2's objects, and the flood limits every session
// we run gets, whichever side it plays: the front end's server sessions
// (server/src/http2_callbacks.cpp) and the client sessions to a child
// (outofproc/src/upstream_h2_session.cpp). Header-only on purpose:
// ancm_common does not link nghttp2; only a target that includes this (and
// so links nghttp2 itself) needs it.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <memory>

namespace ancm::common {

struct Nghttp2SessionDeleter {
  void operator()(nghttp2_session* session) const { nghttp2_session_del(session); }
};
using Nghttp2SessionPtr = std::unique_ptr<nghttp2_session, Nghttp2SessionDeleter>;

struct Nghttp2CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* callbacks) const {
    nghttp2_session_callbacks_del(callbacks);
  }
};
using Nghttp2CallbacksPtr = std::unique_ptr<nghttp2_session_callbacks, Nghttp2CallbacksDeleter>;

struct Nghttp2OptionDeleter {
  void operator()(nghttp2_option* option) const { nghttp2_option_del(option); }
};
using Nghttp2OptionPtr = std::unique_ptr<nghttp2_option, Nghttp2OptionDeleter>;

// CONTINUATION frames after one HEADERS frame (CVE-2024-27316).
inline constexpr std::size_t kHttp2MaxContinuations = 8;
// Entries in one SETTINGS frame.
inline constexpr std::size_t kHttp2MaxSettings = 32;
// Control frames (SETTINGS and PING acks, RST_STREAM) queued for a peer
// that does not read them: past this the connection is dropped.
inline constexpr std::size_t kHttp2MaxOutboundAck = 1000;

// The peer's floods bounded on `option`, the same for both sides.
inline void limit_http2_floods(nghttp2_option* option) {
  nghttp2_option_set_max_continuations(option, kHttp2MaxContinuations);
  nghttp2_option_set_max_settings(option, kHttp2MaxSettings);
  nghttp2_option_set_max_outbound_ack(option, kHttp2MaxOutboundAck);
}

}  // namespace ancm::common
