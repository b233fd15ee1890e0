// H2ProxyExchange for an HTTP/2 WebSocket (extended CONNECT, RFC 8441) to a
// child that speaks only h2c: the child's 2xx goes to the client through the
// server's upgrade, which hands over the client's stream; then the DATA of
// both streams is relayed until either side ends or resets.
//
// Flow control holds end to end: the client's bytes go up one piece at a
// time (the next is read once the session framed the last, on_body_taken),
// and the child's window reopens only as the client's write completes.
// END_STREAM is a half close either way; the child's end also ends ours, as
// its app is done. A reset either way reaches the other side: the client's
// (a failed read or write, on_disconnect) as RST_STREAM CANCEL to the child,
// the child's as reset(code) of the client's request, which is kept owned
// until the tunnel ends for that.
#include <nghttp2/nghttp2.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <utility>

#include "ancm/abi_strings.h"
#include "h2_proxy_exchange.h"

namespace ancm::outofproc {
namespace asio = boost::asio;
using abi::str;

bool H2ProxyExchange::in_tunnel() const {
  return response_phase_ == ResponsePhase::Upgrading || response_phase_ == ResponsePhase::Tunnel;
}

// The child accepted the WebSocket: its status and fields go with the
// server's 200, and the tunnel has no requestTimeout.
void H2ProxyExchange::accept_tunnel(int status, const H2Fields& headers) {
  // The client went meanwhile: the child's side of the tunnel must not stay open.
  if (!owns_request()) return cancel_stream();
  if (!enter(ResponsePhase::Upgrading)) return;
  stop_timer();
  const ancm_request_api& api = *context_->api;
  api.set_status(request_, status, str(std::string_view()));
  for (const auto& [name, value] : headers) {
    if (forward_response_header(name, status, context_->forward_connection_header)) {
      api.add_header(request_, str(name), str(value));
    }
  }
  api.upgrade(request_, &H2ProxyExchange::on_upgraded,
              std::make_unique<ServerOp>(ServerOp{shared_from_this(), nullptr}).release());
}

void H2ProxyExchange::on_upgraded(void* ctx, ancm_stream* stream) {
  std::unique_ptr<ServerOp> op(static_cast<ServerOp*>(ctx));
  auto exchange = std::move(op->exchange);
  asio::post(exchange->strand_, [exchange, stream] { exchange->start_tunnel(stream); });
}

// No stream (the client went away, or its stream was reset meanwhile), or
// the child's stream ended first: nothing to relay.
void H2ProxyExchange::start_tunnel(ancm_stream* stream) {
  client_stream_ = stream;
  if (response_phase_ != ResponsePhase::Upgrading) return close_tunnel();
  if (!client_stream_ || !owns_request() || !stream_) {
    cancel_stream();
    if (owns_request()) abort_response("the tunnel could not start");
    return close_tunnel();
  }
  if (!enter(ResponsePhase::Tunnel)) return;
  for (auto& piece : std::exchange(tunnel_waiting_, {})) write_tunnel_client(std::move(piece));
  if (child_ended_tunnel_) return child_ended_tunnel();
  read_tunnel_client();
}

// ------------------------------------------------------------------ client -> child

void H2ProxyExchange::read_tunnel_client() {
  if (response_phase_ != ResponsePhase::Tunnel || !client_stream_) return;
  char* piece = body_piece_.reserve(kBodyPiece);
  context_->api->stream_read(client_stream_, piece, kBodyPiece, &H2ProxyExchange::on_server_io,
                             server_op(&H2ProxyExchange::on_tunnel_client_read));
}

void H2ProxyExchange::on_tunnel_client_read(int status, std::size_t bytes) {
  if (response_phase_ != ResponsePhase::Tunnel || !stream_) return;
  if (status == -ECANCELED) return;  // our stream_close: the tunnel is ending
  if (status < 0) {
    // The client reset its stream or left: the child's stream is cancelled.
    cancel_stream();
    if (owns_request()) abort_response("the client reset the WebSocket stream");
    return close_tunnel();
  }
  if (bytes == 0) {
    // The client's END_STREAM: ours to the child, after what went before.
    if (request_phase_ == RequestPhase::Body && enter(RequestPhase::Finishing)) {
      session_->send_body(*stream_, {}, true);
    }
    return;
  }
  body_bytes_read_ += bytes;
  session_->send_body(*stream_, std::string(body_piece_.bytes.get(), bytes), false);
}

// ------------------------------------------------------------------ child -> client

// The server queues each piece (frames keep their order); the callback
// reopens the child's window by as much.
void H2ProxyExchange::write_tunnel_client(std::string piece) {
  if (response_phase_ == ResponsePhase::Upgrading)
    return tunnel_waiting_.push_back(std::move(piece));
  if (!client_stream_) return;
  context_->api->stream_write(client_stream_, piece.data(), piece.size(),
                              &H2ProxyExchange::on_server_io,
                              server_op(&H2ProxyExchange::on_tunnel_client_written));
}

void H2ProxyExchange::on_tunnel_client_written(int status, std::size_t bytes) {
  if (status >= 0) {
    if (stream_) session_->consume(*stream_, bytes);
    return;
  }
  if (response_phase_ != ResponsePhase::Tunnel) return;
  cancel_stream();
  if (owns_request()) abort_response("the client stopped reading the WebSocket stream");
  close_tunnel();
}

// The child's END_STREAM: the client's stream ends after what was queued,
// and ours to the child too (its app is done with the WebSocket).
void H2ProxyExchange::child_ended_tunnel() {
  child_ended_tunnel_ = true;
  if (response_phase_ != ResponsePhase::Tunnel) return;  // start_tunnel comes back here
  if (client_stream_) context_->api->stream_close(std::exchange(client_stream_, nullptr));
  if (stream_ && request_phase_ == RequestPhase::Body && enter(RequestPhase::Finishing)) {
    session_->send_body(*stream_, {}, true);
  }
}

// ------------------------------------------------------------------ the end

// Cleanly (both END_STREAMs, or the child's RST_STREAM NO_ERROR after its
// own): the request completes. Else the child's reset reaches the client
// with its code.
void H2ProxyExchange::tunnel_stream_ended(const H2StreamEnd& end) {
  if (end.error_code == NGHTTP2_NO_ERROR) {
    if (request_phase_ == RequestPhase::Finishing && !enter(RequestPhase::Sent)) return;
    if (owns_request()) complete_request();
  } else if (owns_request()) {
    std::string why =
        end.why.empty() ? "the WebSocket stream of " + child_name() + " ended early" : end.why;
    reset_response(end.error_code, why);
  }
  // Upgrading: start_tunnel sees the stream gone and closes the client's.
  if (response_phase_ == ResponsePhase::Tunnel) close_tunnel();
}

void H2ProxyExchange::close_tunnel() {
  if (response_phase_ == ResponsePhase::Upgrading || response_phase_ == ResponsePhase::Tunnel) {
    if (!enter(ResponsePhase::TunnelClosed)) return;
  }
  tunnel_waiting_.clear();
  if (client_stream_) context_->api->stream_close(std::exchange(client_stream_, nullptr));
}

}  // namespace ancm::outofproc
