// ProxyExchange, a large request body of known length (Content-Length) on
// its way to the child: the server puts each piece into the upstream
// connection's pipe straight from the client's socket (read_body_to_pipe),
// and the exchange splices it on into the child's socket, so the body never
// enters user space and no piece of ours holds it (relay_pipe.h). The next
// piece is read once the last one left the pipe, so the client's pace and
// the child's set the bytes in flight, as with the copied pieces.
// A connection that cannot (TLS, HTTP/2, chunked) reads into pieces
// (ProxyExchange::read_client_body).
#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <cerrno>

#include "proxy_exchange.h"

namespace ancm::outofproc {
namespace asio = boost::asio;

namespace {

// Below this a body is cheaper copied (a read and a write, against two
// splices and the server's answer), and most bodies are small.
constexpr uint64_t kPipedFrom = 32 * 1024;

}  // namespace

// Whether this body goes through a pipe: the server says whether this
// request's connection puts body bytes into one (asked with an empty read),
// and the pipe is opened for it. The pipe's default size (64 KiB) is the
// largest copied piece: a larger one would only hold more of the client's
// bytes while the child is slow.
bool ProxyExchange::open_request_pipe() {
  const ancm_request_api* api = context_->api;
  if (!ANCM_ABI_HAS(ancm_request_api, api, read_body_to_pipe) || !api->read_body_to_pipe) {
    return false;
  }
  if (forwarded_.chunked_body || !forwarded_.content_length ||
      *forwarded_.content_length < kPipedFrom || !may_use_request("read_body_to_pipe")) {
    return false;
  }
  if (api->read_body_to_pipe(request_, -1, 0, nullptr, nullptr) != 0) return false;
  // Its writes follow a readiness wait and must never block the thread.
  error_code failed;
  if (!upstream_->socket.non_blocking()) upstream_->socket.non_blocking(true, failed);
  return !failed && upstream_->request_pipe.open(context_->pipe_budget, RelayPipe::kLeastCapacity);
}

void ProxyExchange::read_client_body_into_pipe() {
  if (!may_use_request("read_body_to_pipe")) return;
  auto& pipe = upstream_->request_pipe;
  uint64_t left = *forwarded_.content_length - body_bytes_read_;
  auto max =
      static_cast<std::size_t>(std::min<uint64_t>(pipe.capacity(), std::max<uint64_t>(left, 1)));
  void* op = server_op(&ProxyExchange::on_client_body_in_pipe);
  int refused = context_->api->read_body_to_pipe(request_, pipe.write_end(), max,
                                                 &ProxyExchange::on_server_io, op);
  if (refused != 0) on_server_io(op, refused, 0);  // the server did not take it: no callback
}

// The checks are on_client_body's: the child frames the body by the length
// it was sent.
void ProxyExchange::on_client_body_in_pipe(int status, std::size_t bytes) {
  if (!owns_request()) return;
  if (status < 0) {
    upstream_->request_pipe.discard();  // what it holds is no one's
    return client_body_failed(status);
  }
  if (body_overruns(bytes)) return request_broken("the request body is longer than announced");
  if (bytes == 0 && body_bytes_read_ != *forwarded_.content_length) {
    return request_broken("the request body is shorter than announced");
  }
  body_bytes_read_ += bytes;
  bool last = bytes == 0 || body_bytes_read_ == *forwarded_.content_length;
  if (last && !enter(RequestPhase::Finishing)) return;
  if (bytes == 0) return on_last_bytes_sent({});
  request_pipe_holds_ = bytes;
  drain_request_pipe(last);
}

// Moves what the pipe holds into the child's socket, waiting for room while
// it is full; then the next piece, or the request is sent.
void ProxyExchange::drain_request_pipe(bool last) {
  auto& pipe = upstream_->request_pipe;
  while (request_pipe_holds_ > 0) {
    ssize_t moved = pipe.drain_to(upstream_->socket.native_handle(), request_pipe_holds_);
    if (moved == -EAGAIN) {
      upstream_->socket.async_wait(
          asio::socket_base::wait_write,
          asio::bind_executor(
              strand_, [self = shared_from_this(), last, attempt = attempt_.number](error_code ec) {
                if (attempt != self->attempt_.number) return;
                if (ec) return self->request_pipe_failed(last, ec);
                self->drain_request_pipe(last);
              }));
      return;
    }
    if (moved < 0) {
      return request_pipe_failed(
          last, error_code(static_cast<int>(-moved), boost::system::system_category()));
    }
    request_pipe_holds_ -= static_cast<std::size_t>(moved);
  }
  if (last) return on_last_bytes_sent({});
  if (owns_request()) read_client_body();
}

// The pipe, maybe holding bytes, is no one's; the last piece's failure is
// on_last_bytes_sent's to report (the response may have ended meanwhile).
void ProxyExchange::request_pipe_failed(bool last, error_code ec) {
  upstream_->request_pipe.discard();
  if (last) return on_last_bytes_sent(ec);
  if (owns_request()) upstream_failed("send the request body to", ec);
}

}  // namespace ancm::outofproc
