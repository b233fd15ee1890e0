// Connection, the upgrade: the 101 goes out once the watch's read ended, and
// the connection becomes a raw stream (WebSockets) the handler reads and
// writes until it closes it.
#include <boost/asio/write.hpp>
#include <cerrno>
#include <memory>

#include "connection.h"

namespace ancm::server {
namespace asio = boost::asio;
using boost::beast::error_code;

void Connection::upgrade(UpgradeCallback cb, void* ctx) {
  on_strand([self = shared_from_this(), cb, ctx] {
    // A request with a body is never upgraded (as Kestrel): its body and the
    // new protocol would both claim the bytes that follow its head.
    // Upgrade is HTTP/1.1's (RFC 9110 §7.8): an HTTP/1.0 request is never upgraded.
    if (!self->in_request() || self->completed() || self->writer_.head_sent() || self->dead() ||
        self->request_.version < 11 || self->request_.has_body || self->writer_.status() != 101 ||
        self->upgrade_cb_) {
      return cb(ctx, nullptr);
    }
    self->enter(ConnectionPhase::Upgrading);
    self->upgrade_cb_ = cb;
    self->upgrade_ctx_ = ctx;
    if (!self->io_.watching) return self->send_upgrade_head();
    // The pending read ends cancelled and continues the upgrade.
    self->stream_.cancel();
  });
}

void Connection::send_upgrade_head() {
  // Closed (or aborted) while the watch's read was ending: nothing to send.
  if (dead()) return on_upgrade_head_sent(asio::error::operation_aborted);
  const auto& head = writer_.upgrade_head();
  io_.write_in_flight = true;
  arm_timer(context_.limits.io_timeout);
  asio::async_write(
      stream_, asio::buffer(head),
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_upgrade_head_sent(ec); });
}

void Connection::on_upgrade_head_sent(error_code ec) {
  io_.write_in_flight = false;
  disarm_timer();
  auto cb = std::exchange(upgrade_cb_, nullptr);
  if (ec || dead()) {
    close();
    cb(upgrade_ctx_, nullptr);
  } else {
    enter(ConnectionPhase::Upgraded);
    stream_.stop_draining();  // nothing bounds a tunnel's reads
    cb(upgrade_ctx_, std::make_unique<ancm_stream>(ancm_stream{shared_from_this()}).release());
  }
  // complete() or abort() came while the 101 was on its way: the request
  // ends now (a complete() inside the callback already ended it).
  if (completed()) finish_request();
}

void Connection::stream_read(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) {
  on_strand([self = shared_from_this(), buf, cap, cb, ctx] {
    if (self->dead()) return cb(ctx, -ECONNRESET, 0);
    if (self->buffer_.size() > 0) {
      // Bytes the client sent right after the request come first.
      std::size_t n = asio::buffer_copy(asio::buffer(buf, cap), self->buffer_.data());
      self->buffer_.consume(n);
      return cb(ctx, 0, n);
    }
    self->stream_.async_read_some(asio::buffer(buf, cap),
                                  [self, cb, ctx](error_code ec, std::size_t n) {
                                    if (ec == asio::error::eof) return cb(ctx, 0, 0);
                                    cb(ctx, ec ? -ECONNRESET : 0, ec ? 0 : n);
                                  });
  });
}

void Connection::stream_write(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) {
  auto copy = std::make_shared<std::string>(static_cast<const char*>(data), len);
  on_strand([self = shared_from_this(), copy, cb, ctx] {
    if (self->dead()) return cb(ctx, -ECONNRESET, 0);
    asio::async_write(self->stream_, asio::buffer(*copy),
                      [copy, cb, ctx](error_code ec, std::size_t n) {
                        cb(ctx, ec ? -ECONNRESET : 0, ec ? 0 : n);
                      });
  });
}

void Connection::stream_close() {
  on_strand([self = shared_from_this()] { self->close(); });
}

}  // namespace ancm::server
