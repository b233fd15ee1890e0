// Http2Stream, the extended CONNECT (RFC 8441): a CONNECT with :protocol
// "websocket" reaches the handler as a request (connect_protocol names the
// protocol); upgrade() answers it with a 2xx and hands the handler the
// stream's DATA as an ancm_stream. Reads share the request body's buffer and
// flow control (the window grows back as the handler reads); writes share
// the response's data source. The tunnel holds the session as a request a
// handler owns does (request_dispatched/request_ended), so the connection
// lives and is not idle while it is open.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <memory>

#include "ancm/common/ascii.h"
#include "http2_session.h"
#include "http2_stream.h"
#include "http2_stream_on_strand.h"

namespace ancm::server {
namespace asio = boost::asio;

namespace {

// The one protocol RFC 8441 defines, and the one both hostingModels carry
// (out-of-process translates it to an HTTP/1.1 Upgrade for HTTP/1.1 apps).
constexpr std::string_view kWebSocketProtocol = "websocket";

}  // namespace

// Any other :protocol is answered 501 by the server (refuse_head), as a head
// that broke a rule: no handler sees it.
common::Result<void, HeadRejection> Http2Stream::check_connect_protocol() const {
  if (protocol_.empty() || common::iequals(protocol_, kWebSocketProtocol)) return {};
  return common::fail(HeadRejection{501, "extended CONNECT for a protocol other than websocket"});
}

// HTTP/2 has no 101: an extended CONNECT answered 2xx is the tunnel. A 101
// the handler set (a proxy relaying an HTTP/1.1 app's answer) goes as 200.
void Http2Stream::upgrade(UpgradeCallback cb, void* ctx) {
  on_strand([this, cb, ctx] {
    bool ok = in_handler() && !protocol_.empty() && tunnel_ == Http2TunnelPhase::None &&
              !facts_.closed && !session_.dead();
    {
      std::lock_guard lock(head_mutex_);
      ok = ok && response_ == Http2ResponsePhase::HeadOpen &&
           (status_ == 101 || (status_ >= 200 && status_ < 300));
      if (ok && status_ == 101) status_ = 200;
    }
    if (!ok) return asio::post(session_.strand(), [cb, ctx] { cb(ctx, nullptr); });
    enter(Http2TunnelPhase::Open);
    session_.request_dispatched();  // the tunnel's hold, released by stream_close
    submit_head();
    // The handle keeps the session (and so this pooled stream) alive until stream_close.
    std::shared_ptr<UpgradedStream> owner(session_.shared_from_this(), this);
    auto* stream = std::make_unique<ancm_stream>(ancm_stream{std::move(owner)}).release();
    asio::post(session_.strand(), [cb, ctx, stream] { cb(ctx, stream); });
  });
}

void Http2Stream::stream_read(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) {
  on_strand([this, buf, cap, cb, ctx] {
    if (!tunnel_open() || reading_ || cap == 0) return post_callback({cb, ctx}, -EINVAL, 0);
    reading_ = true;
    pending_read_ = {cb, ctx, 0};
    read_buf_ = buf;
    read_cap_ = cap;
    fill_pending_read();
  });
}

void Http2Stream::stream_write(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) {
  on_strand(
      [this, owned = std::string(static_cast<const char*>(data), len), cb, ctx, len]() mutable {
        if (!tunnel_open()) return post_callback({cb, ctx}, -EINVAL, 0);
        if (response_ == Http2ResponsePhase::Reset) return post_callback({cb, ctx}, -ECONNRESET, 0);
        append(std::move(owned), {}, {cb, ctx, len});
      });
}

// END_STREAM after what was queued; a read still pending ends cancelled and
// what the handler did not read goes back to the connection's window.
void Http2Stream::stream_close() {
  on_strand([this] {
    if (!tunnel_open()) return;
    enter(Http2TunnelPhase::Closed);
    if (reading_) {
      reading_ = false;
      post_callback(pending_read_, -ECANCELED, 0);
    }
    if (!facts_.closed && !session_.dead()) {
      nghttp2_session_consume(session_.ng(), id_, body_.size() - body_offset_);
    }
    body_.clear();
    body_offset_ = 0;
    body_done_ = true;
    if (response_ == Http2ResponsePhase::HeadSubmitted && !facts_.closed && !session_.dead()) {
      resume_response();
    }
    session_.request_ended(*this);
  });
}

}  // namespace ancm::server
