// The request body as the handler reads it (read_body): the 100 (Continue)
// first when the client waits for it, parsing what the connection buffered,
// topping up from the socket, trailers, and a body that breaks HTTP's rules
// or the limit. The watch that brings more bytes is connection.cpp's.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>

#include "ancm/abi_strings.h"
#include "connection.h"

namespace ancm::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using beast::error_code;

namespace {

// A body that breaks HTTP's rules, as opposed to a client that went away.
bool is_framing_error(const error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_chunk).category() &&
         ec != http::error::partial_message && ec != http::error::end_of_stream;
}

}  // namespace

void Connection::read_body(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) {
  on_strand([self = shared_from_this(), buf, cap, cb, ctx] {
    self->start_body_read({.buffer = buf, .cap = cap}, {cb, ctx, 0});
  });
}

// Either kind of body read (read_body, read_body_to_pipe), on the strand.
void Connection::start_body_read(BodyReadTarget target, IoCallback done) {
  bool has_target = target.buffer != nullptr || target.pipe >= 0;
  if (!in_request() || completed() || body_read_ == BodyRead::Reading || target.cap == 0 ||
      !has_target) {
    return done.fn(done.ctx, -EINVAL, 0);
  }
  // A body that failed stays failed: its parser must not run again.
  if (body_read_ == BodyRead::Failed) return done.fn(done.ctx, body_failure_, 0);
  if (dead()) return done.fn(done.ctx, -ECONNRESET, 0);
  if (!request_.has_body || parser_->is_done()) return done.fn(done.ctx, 0, 0);
  body_read_ = BodyRead::Reading;
  pending_read_ = done;
  read_into_ = target;
  if (continue_ == ContinueState::Expected && !writer_.head_sent()) {
    send_continue_then_read();
  } else {
    read_body_some();
  }
}

// The 100 goes through the response's write queue, ahead of the head, so the
// socket never has two writes at once; the read goes on once it is out
// (on_continue_written).
void Connection::send_continue_then_read() {
  continue_ = ContinueState::Sent;
  writer_.queue_continue();
  schedule_write();
}

void Connection::on_continue_written(error_code ec) {
  // A request that ended meanwhile already failed the read; one that is
  // ending fails it as it ends (finish_request).
  if (body_read_ != BodyRead::Reading || completed()) return;
  if (ec) return end_body_read(-ECONNRESET);
  read_body_some();
}

void Connection::read_body_some() {
  body_rate_.wait_started(std::chrono::steady_clock::now());
  arm_request_timer();
  parse_body();
}

// A read that waits already is held to the new rate at once: its deadline
// moves (later too: the timer's running wait then waits on).
void Connection::set_min_body_rate(MinBodyRate rate) {
  on_strand([self = shared_from_this(), rate] {
    if (!self->in_request() || self->completed()) return;
    self->body_rate_.set(rate);
    if (self->body_rate_.waiting()) self->arm_request_timer();
  });
}

// Kestrel's answer to a body under MinRequestBodyDataRate: 408, or a
// response cut short when one had begun.
void Connection::on_body_too_slow() {
  spdlog::debug("request body from {} came too slowly (under the minimum data rate)",
                endpoints_.peer);
  refuse_body(408, -ETIMEDOUT);
}

// Parses buffered bytes into the pending read's buffer. When the parser needs
// more, the read waits for the watch to bring them (on_watch_read).
void Connection::parse_body() {
  if (read_into_.pipe >= 0) return pipe_body();
  auto& body = parser_->get().body();
  body.data = read_into_.buffer;
  body.size = read_into_.cap;
  error_code ec;
  // Not eager, Beast's parser takes one step a call (a chunk header, some
  // body): it goes on while the read has room and bytes are buffered, so a
  // body of tiny chunks fills a read instead of costing the handler a read
  // per chunk (in process, a round trip through .NET each).
  while (!parser_->is_done() && body.size > 0) {
    if (buffer_.size() == 0) {
      ec = http::error::need_more;
      break;
    }
    std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec) break;
  }
  std::size_t got = read_into_.cap - body.size;
  if (ec == http::error::need_buffer) ec = {};
  if (ec == http::error::need_more) {
    ec = {};
    if (got == 0) {
      // A chunk-size line or trailers longer than all the buffer holds.
      if (buffer_.size() >= buffer_.max_size()) {
        ec = http::error::buffer_overflow;
      } else {
        return watch_connection();
      }
    }
  }
  if (!ec) got += top_up_body(got);
  on_body_parsed(ec, got);
}

// A Content-Length body over cleartext: what the socket holds now goes
// straight into the handler's buffer behind the bytes parsed from buffer_,
// so a read comes back as full as the client's pace allows while the
// connection itself reads ahead only a little (body_read_ahead), and those
// bytes are copied once instead of three times. Never waits: a read with
// bytes to give returns them. EOF or an error is left for the watch, whose
// next read sees it again.
std::size_t Connection::top_up_body(std::size_t got) {
  if (!body_tops_up() || got == 0 || got == read_into_.cap || buffer_.size() > 0 || io_.watching) {
    return 0;
  }
  auto remaining = parser_->content_length_remaining();
  if (!remaining || *remaining == 0) return 0;
  char* place = static_cast<char*>(read_into_.buffer) + got;
  auto want = static_cast<std::size_t>(std::min<std::uint64_t>(read_into_.cap - got, *remaining));
  error_code ec;
  std::size_t n = stream_.read_available(place, want, ec);
  if (n == 0) return 0;
  auto& body = parser_->get().body();
  body.data = place;
  body.size = want;
  std::size_t used = parser_->put(asio::buffer(place, n), ec);
  // Not expected (n fits the body and the room), but no byte may be lost:
  // what the parser left is parsed from buffer_ by the next read.
  if (used < n) {
    buffer_.commit(
        asio::buffer_copy(buffer_.prepare(n - used), asio::buffer(place + used, n - used)));
  }
  return used;
}

void Connection::on_body_parsed(error_code ec, std::size_t got) {
  body_rate_.wait_ended(std::chrono::steady_clock::now());
  body_rate_.count(got);
  body_read_ = BodyRead::Idle;  // however it ended; a failure below marks it so
  arm_request_timer();          // a write may still be in flight
  if (ec) {
    spdlog::debug("request body read from {} failed: {}", endpoints_.peer, ec.message());
    if (ec == http::error::body_limit) return refuse_body(413, -EMSGSIZE);
    if (is_framing_error(ec)) return refuse_body(400, -EBADMSG);
    return end_body_read(-ECONNRESET);
  }
  body_bytes_read_ += got;
  if (parser_->is_done()) keep_trailers();
  watch_connection();  // the read made room in the buffer
  pending_read_.fn(pending_read_.ctx, 0, got);
}

// Beast adds the trailer fields of a chunked body to the message, after the
// head's own fields: those past the head's are the trailers.
void Connection::keep_trailers() {
  trailer_spans_.clear();
  std::size_t index = 0;
  for (const auto& field : parser_->get()) {
    if (index++ < header_spans_.size()) continue;
    trailer_spans_.push_back({abi::str(field.name_string()), abi::str(field.value())});
  }
}

// The body broke the chunked framing, or grew past the limit, while the
// handler runs. If nothing of its response went out yet, the server answers
// (as Kestrel does) and the handler's writes are refused from now on; else
// the response is cut short. The handler's read fails either way, and its
// request stays valid until it calls complete() or abort().
void Connection::refuse_body(int status, int read_status) {
  // A 100 queued or on its way is no part of the response: the answer follows it.
  bool response_untouched = !writer_.head_sent() && !writer_.response_queued();
  if (!response_untouched) return end_body_read(read_status);
  fail_body_read(read_status);
  writer_.answer_for_handler(status);
  reuse_.keep_alive = false;
  schedule_write();
  pending_read_.fn(pending_read_.ctx, read_status, 0);
}

void Connection::fail_body_read(int status) {
  body_read_ = BodyRead::Failed;
  body_failure_ = status;
}

// A body read that cannot go on: tell the handler, and the connection is done.
void Connection::end_body_read(int status) {
  fail_body_read(status);
  if (in_request()) {
    notify_disconnect();
    close();
  } else {
    graceful_close();
  }
  pending_read_.fn(pending_read_.ctx, status, 0);
}

}  // namespace ancm::server
