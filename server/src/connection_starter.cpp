#include "connection_starter.h"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <utility>

#include "ancm/common/checked_move.h"
#include "first_bytes.h"
#include "first_head_deadline.h"
#include "http2_session.h"
#include "tls_handshake.h"

namespace ancm::server {
namespace {

// An HTTP/1.x connection from the bytes already read.
std::shared_ptr<Connection> serve_http1(const Strand& strand, ClientStream stream,
                                        const ConnectionContext& context, std::string initial_bytes,
                                        FirstHeadDeadline first_head) {
  auto connection =
      std::make_shared<Connection>(strand, std::move(stream), context, initial_bytes, first_head);
  if (context.registry) context.registry->add(connection);
  connection->start();
  return connection;
}

// A connection that said nothing yet when the drain came gets what an idle
// HTTP/1 connection gets: a short grace for a request on its way.
constexpr auto kDrainGrace = std::chrono::seconds(1);

// Reads a cleartext connection's first bytes until they tell HTTP/2's
// preface from anything else (under the budget from accept), then hands the
// stream and those bytes to the protocol's object. Registered meanwhile, so
// a drain reaches a connection that has not spoken yet.
class FirstBytesReader final : public Drainable,
                               public std::enable_shared_from_this<FirstBytesReader> {
 public:
  FirstBytesReader(Strand strand, ClientStream stream, const ConnectionContext& context,
                   FirstHeadDeadline first_head)
      : strand_(std::move(strand)),
        stream_(std::move(stream)),
        context_(context),
        first_head_(first_head),
        timer_(strand_) {}
  ~FirstBytesReader() {
    if (context_.registry) context_.registry->remove(this);
  }

  void start() {
    if (context_.registry) context_.registry->add(shared_from_this());
    boost::asio::dispatch(strand_, [self = shared_from_this()] {
      self->arm_timer(self->first_head_.bound(self->context_.limits.header_timeout));
      self->read();
    });
  }

  void drain() override {
    boost::asio::post(strand_, [self = shared_from_this()] {
      if (self->phase_ == FirstBytesPhase::Reading && self->enter(FirstBytesPhase::Draining)) {
        self->arm_timer(self->first_head_.bound(kDrainGrace));
      }
    });
  }

 private:
  // At the deadline the stream closes: the pending read ends, failed.
  void arm_timer(std::chrono::steady_clock::duration timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->reading()) return;
      self->enter(FirstBytesPhase::Closed);
      self->stream_.close();
    });
  }

  bool reading() const {
    return phase_ == FirstBytesPhase::Reading || phase_ == FirstBytesPhase::Draining;
  }

  void read() {
    stream_.async_read_some(boost::asio::buffer(chunk_),
                            [self = shared_from_this()](const boost::system::error_code& ec,
                                                        std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    // Gone (or timed out) before it said anything: nobody to answer.
    if (ec || !reading()) return;
    bytes_.append(chunk_.data(), n);
    switch (classify_first_bytes(bytes_)) {
      case FirstBytesVerdict::NeedMore:
        return read();
      case FirstBytesVerdict::Http1:
        return hand_on(false);
      case FirstBytesVerdict::Http2:
        return hand_on(true);
    }
  }

  // A drain that came meanwhile is passed on.
  void hand_on(bool http2) {
    bool draining = phase_ == FirstBytesPhase::Draining;
    if (!enter(FirstBytesPhase::HandedOn)) return stream_.close();
    timer_.cancel();
    if (http2) {
      auto session =
          start_http2(strand_, std::move(stream_), context_, std::move(bytes_), first_head_);
      if (draining) session->drain();
      return;
    }
    auto connection =
        serve_http1(strand_, std::move(stream_), context_, std::move(bytes_), first_head_);
    if (draining) connection->drain();
  }

  // The only way the phase changes (first_bytes.h has the table).
  bool enter(FirstBytesPhase to) {
    return common::checked_move(phase_, to, [](std::string_view from, std::string_view next) {
      spdlog::error("first bytes of a connection: illegal phase transition {} -> {}", from, next);
    });
  }

  Strand strand_;
  ClientStream stream_;
  const ConnectionContext& context_;
  FirstHeadDeadline first_head_;
  boost::asio::steady_timer timer_;
  std::array<char, 1024> chunk_{};
  std::string bytes_;
  FirstBytesPhase phase_ = FirstBytesPhase::Reading;
};

// A TLS stream after its handshake: the protocol ALPN chose (h2 is offered
// only when context.http2 is set).
void serve_tls(const Strand& strand, ClientStream stream, const ConnectionContext& context,
               FirstHeadDeadline first_head) {
  if (stream.alpn() == kAlpnHttp2) {
    start_http2(strand, std::move(stream), context, {}, first_head);
    return;
  }
  serve_http1(strand, std::move(stream), context, {}, first_head);
}

}  // namespace

void start_connection(boost::asio::io_context& io, ClientStream::Socket accepted,
                      const ConnectionContext& context) {
  auto strand = make_connection_executor(io, context.one_loop_thread);
  // One header timeout from here until the first request head is complete,
  // whatever the steps before it.
  auto first_head = FirstHeadDeadline::after(context.limits.header_timeout);
  if (context.tls) {
    handshake_then(strand, std::move(accepted), *context.tls, context.limits.header_timeout,
                   [strand, &context, first_head](ClientStream stream) {
                     serve_tls(strand, std::move(stream), context, first_head);
                   });
    return;
  }
  auto stream = ClientStream::adopt(strand, std::move(accepted));
  if (context.http2) {
    std::make_shared<FirstBytesReader>(std::move(strand), std::move(stream), context, first_head)
        ->start();
    return;
  }
  serve_http1(strand, std::move(stream), context, {}, first_head);
}

}  // namespace ancm::server
