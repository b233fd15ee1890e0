// ProxyExchange, a response body of known length (Content-Length): it needs
// no parsing, so its bytes go from the child's socket to the client as they
// are. Two ways, chosen once per body:
// - spliced: when the client's connection takes pieces from a pipe
//   (cleartext HTTP/1.x, write_body_from_pipe) and the body is large, the
//   bytes go socket → pipe → socket inside the kernel, never copied into a
//   buffer of ours (relay_pipe.h);
// - in pieces: otherwise each wait for the child's bytes ends in one read of
//   all that is waiting into a RelayPiece, lent to the server until written.
// Either way the next read waits until the client took the last piece.
#include <algorithm>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <cerrno>

#include "proxy_exchange.h"

namespace ancm::outofproc {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Below this a body is cheaper copied: one read and one write, against the
// pipe's two splices and the wait for the server's answer.
constexpr uint64_t kSplicedFrom = 32 * 1024;

}  // namespace

void ProxyExchange::start_direct_body() {
  direct_body_left_ = *parser_->content_length();
  // Its reads follow a readiness wait and must never block the thread (set
  // once per connection: the flag stays while it is pooled).
  error_code failed;
  if (!upstream_->socket.non_blocking()) upstream_->socket.non_blocking(true, failed);
  if (failed) return upstream_failed("read the response body from", failed);
  body_spliced_ = open_body_pipe();
  read_direct_body();
}

// Whether this body goes through a pipe: the server says whether this
// request's connection takes pipe pieces (asked with an empty one), and the
// pipe is opened for it (relay_pipe.h says when that fails).
bool ProxyExchange::open_body_pipe() {
  const ancm_request_api* api = context_->api;
  if (!ANCM_ABI_HAS(ancm_request_api, api, write_body_from_pipe) || !api->write_body_from_pipe) {
    return false;
  }
  if (*direct_body_left_ < kSplicedFrom || !may_use_request("write_body_from_pipe")) return false;
  if (api->write_body_from_pipe(request_, -1, 0, nullptr, nullptr) != 0) return false;
  return upstream_->body_pipe.open(context_->pipe_budget);
}

// Body bytes that came with the head are taken first (they were read with
// it). Then the exchange moves what the child sent since, tried before any
// wait: a reset queued behind the bytes read last raised no edge of its own
// (common/drained_reads.h), and the child has often sent more meanwhile.
void ProxyExchange::read_direct_body() {
  arm_timeout();
  if (upstream_->input.size() > 0) return take_buffered_body();
  if (body_spliced_) return splice_direct_body();
  read_waiting_body();
}

void ProxyExchange::wait_for_direct_body() {
  upstream_->socket.async_wait(
      asio::socket_base::wait_read,
      asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) {
        if (!self->owns_request()) return;
        if (ec) return self->upstream_failed("read the response body from", ec);
        if (self->body_spliced_) return self->splice_direct_body();
        self->read_waiting_body();
      }));
}

void ProxyExchange::take_buffered_body() {
  char* into = take_body_piece(upstream_->input.size());
  std::size_t taken =
      asio::buffer_copy(asio::buffer(into, direct_piece_.size()), upstream_->input.data());
  upstream_->input.consume(taken);
  on_direct_body({}, taken);
}

// ------------------------------------------------------------------ in pieces

// Reads all that is waiting, in one piece sized to it; nothing waiting
// means a readiness wait first.
void ProxyExchange::read_waiting_body() {
  error_code ec;
  std::size_t waiting = upstream_->socket.available(ec);
  if (ec) return upstream_failed("read the response body from", ec);
  if (waiting == 0) {
    // Nothing counted: nothing came yet, or the child's FIN or reset (they
    // count nothing), which a peek tells apart without taking a piece.
    char byte;
    upstream_->socket.receive(asio::buffer(&byte, 1), asio::socket_base::message_peek, ec);
    if (ec == asio::error::would_block) return wait_for_direct_body();
    if (ec) return direct_body_broke(ec);
    waiting = std::max<std::size_t>(upstream_->socket.available(ec), 1);  // it came just now
  }
  char* into = take_body_piece(waiting);
  std::size_t got = upstream_->socket.read_some(asio::buffer(into, direct_piece_.size()), ec);
  if (ec) {
    direct_piece_.release();
    return ec == asio::error::would_block ? wait_for_direct_body() : direct_body_broke(ec);
  }
  on_direct_body(ec, got);
}

// The child's end or reset, found at once, goes on from the strand's queue,
// as Asio posts a read that ended at once: the head's flush, asked for just
// before (on_response_head), then goes out before the response is cut.
void ProxyExchange::direct_body_broke(error_code ec) {
  asio::post(strand_, [self = shared_from_this(), ec] { self->on_direct_body(ec, 0); });
}

// Room for the bytes ready, never past the body's end (what follows it is
// not this response's).
char* ProxyExchange::take_body_piece(std::size_t ready) {
  return direct_piece_.take(
      static_cast<std::size_t>(std::min<uint64_t>(ready, *direct_body_left_)));
}

void ProxyExchange::on_direct_body(error_code ec, std::size_t got) {
  if (!owns_request()) return;
  // The child closing before the promised length is a response cut short.
  if (ec == asio::error::eof) ec = http::error::partial_message;
  if (ec) return upstream_failed("read the response body from", ec);
  *direct_body_left_ -= got;
  write_to_client(direct_piece_.data(), got);
}

// ------------------------------------------------------------------ spliced

// What waits on the socket goes into the pipe (tried at once: after the
// client took a piece the child has usually sent more), and from there to
// the client; nothing waiting yet means a readiness wait first.
void ProxyExchange::splice_direct_body() {
  auto& pipe = upstream_->body_pipe;
  ssize_t moved = pipe.fill_from(upstream_->socket.native_handle(), *direct_body_left_);
  if (moved == -EAGAIN) return wait_for_direct_body();
  if (moved == 0) return direct_body_broke(asio::error::eof);
  if (moved < 0) {
    return direct_body_broke(
        error_code(static_cast<int>(-moved), boost::system::system_category()));
  }
  *direct_body_left_ -= static_cast<uint64_t>(moved);
  if (!may_use_request("write_body_from_pipe")) return;
  void* op = server_op(&ProxyExchange::on_client_written);
  int refused = context_->api->write_body_from_pipe(
      request_, pipe.read_end(), static_cast<std::size_t>(moved), &ProxyExchange::on_server_io, op);
  if (refused != 0) on_server_io(op, refused, 0);  // the server did not take it: no callback
}

}  // namespace ancm::outofproc
