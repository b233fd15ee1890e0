// Connection, the response side: the handler's response calls, and when the
// bytes its ResponseWriter builds go out (one write on the socket at a time,
// the writes of one strand turn coalesced). What the bytes are is the
// writer's (response_writer.h).
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>

#include "connection.h"

namespace ancm::server {
namespace asio = boost::asio;
using boost::beast::error_code;

int Connection::set_status(int status, std::string_view reason) {
  return writer_.set_status(status, reason);
}

int Connection::add_header(std::string_view name, std::string_view value) {
  return writer_.add_header(name, value);
}

// Under the head's lock, like add_header: the writer puts them in the last chunk.
int Connection::add_trailer(std::string_view name, std::string_view value) {
  return writer_.add_trailer(name, value);
}

// The bytes are copied once, into the piece that is later written as it is.
void Connection::write_body(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) {
  on_strand([self = shared_from_this(), piece = std::string(static_cast<const char*>(data), len),
             cb, ctx]() mutable { self->append_body(std::move(piece), {}, cb, ctx); });
}

// The caller keeps the bytes until the callback, so nothing is copied.
void Connection::write_body_borrowed(const void* data, std::size_t len, ancm_io_callback cb,
                                     void* ctx) {
  std::string_view bytes(static_cast<const char*>(data), len);
  on_strand([self = shared_from_this(), bytes, cb, ctx] { self->append_body({}, bytes, cb, ctx); });
}

void Connection::append_body(std::string owned, std::string_view borrowed, ancm_io_callback cb,
                             void* ctx) {
  if (!in_request() || completed()) {
    if (cb) cb(ctx, -EINVAL, 0);
    return;
  }
  if (dead() || writer_.answered_by_server()) {
    if (cb) cb(ctx, -ECONNRESET, 0);
    return;
  }
  if (int refused = writer_.append(std::move(owned), borrowed, request_.is_head, cb, ctx)) {
    if (cb) cb(ctx, refused, 0);
    return;
  }
  schedule_write();
}

void Connection::flush(ancm_io_callback cb, void* ctx) { write_body(nullptr, 0, cb, ctx); }

// The end of the response goes out at once, with whatever was written
// before it: nothing more can join it, so waiting a turn gains nothing.
void Connection::complete() {
  on_strand([self = shared_from_this()] { self->complete_response(); });
}

void Connection::complete_response() {
  if (!in_request() || completed()) return;
  enter(RequestPhase::Completing);
  if (dead()) {
    if (!io_.write_in_flight) finish_request();
    return;
  }
  // The 101 goes out through the upgrade, which ends the request after it.
  if (phase_ == ConnectionPhase::Upgrading) return;
  start_write();
}

// HTTP/1.x has no stream to reset: the connection closes as for abort().
void Connection::reset(uint32_t) { abort(); }

void Connection::abort() {
  on_strand([self = shared_from_this()] {
    if (!self->in_request() || self->completed()) return;
    // The server's own answer is not the handler's to cut short.
    if (self->writer_.answered_by_server()) return self->complete_response();
    self->enter(RequestPhase::Completing);
    spdlog::debug("response to {} aborted by the handler", self->endpoints_.peer);
    self->close();
    if (!self->io_.write_in_flight) self->finish_request();
  });
}

// Writes started in one strand turn are coalesced into one socket write.
void Connection::schedule_write() {
  if (io_.write_scheduled || io_.write_in_flight) return;
  io_.write_scheduled = true;
  asio::post(strand_, [self = shared_from_this()] {
    self->io_.write_scheduled = false;
    self->start_write();
  });
}

void Connection::start_write() {
  if (io_.write_in_flight || !in_request()) return;
  if (dead()) return drop_pending_writes();
  auto write = writer_.next_write(response_terms(), reuse_);
  if (write.buffers.empty()) {
    writer_.end_write();
    return on_write({}, std::move(write.callbacks), write.carries_continue);
  }
  io_.write_in_flight = true;
  arm_request_timer();
  auto written = [self = shared_from_this(), callbacks = std::move(write.callbacks),
                  carries_continue = write.carries_continue](error_code ec, std::size_t) mutable {
    self->writer_.end_write();
    self->on_write(ec, std::move(callbacks), carries_continue);
  };
  // A single buffer (the usual small response) spares the copy of the list.
  if (write.buffers.size() == 1) {
    return asio::async_write(stream_, write.buffers.front(), std::move(written));
  }
  asio::async_write(stream_, write.buffers, std::move(written));
}

// What the head's framing depends on, as the request stands now.
ResponseTerms Connection::response_terms() const {
  // A body the client was told to hold back (100-continue) will not come.
  return {.request = request_,
          .completed = body_ended(),
          .body_held_back = request_.has_body && continue_ == ContinueState::Expected};
}

void Connection::on_write(error_code ec, std::vector<IoCallback> callbacks, bool carried_continue) {
  io_.write_in_flight = false;
  arm_request_timer();  // a body read may still wait
  if (ec) {
    spdlog::debug("response write to {} failed: {}", endpoints_.peer, ec.message());
    notify_disconnect();
    close();
  }
  for (auto& callback : callbacks) {
    if (callback.fn) callback.fn(callback.ctx, ec ? -ECONNRESET : 0, ec ? 0 : callback.bytes);
  }
  writer_.reuse_callbacks(std::move(callbacks));
  if (carried_continue) on_continue_written(ec);
  continue_writing();
}

// After a write: what is queued goes next, then a piece from a pipe (which
// waited for what was queued before it), then the end of the request.
void Connection::continue_writing() {
  if (!in_request() || io_.write_scheduled) return;
  if (writer_.has_pending(body_ended())) return start_write();
  if (pipe_piece_) return start_pipe_piece();
  if (completed()) return finish_request();
  // The server's answer to a refused body is out: nothing else will be
  // read or sent, though the handler still has to end its request.
  if (writer_.answered_by_server() && !dead()) graceful_close();
}

// The socket is gone: whatever waits for a write hears of it now.
void Connection::drop_pending_writes() {
  answer_pipe_piece(-ECONNRESET);
  bool continue_dropped = writer_.fail_pending();
  if (completed()) return finish_request();  // which ends a body read too
  if (continue_dropped) on_continue_written(asio::error::not_connected);
}

}  // namespace ancm::server
