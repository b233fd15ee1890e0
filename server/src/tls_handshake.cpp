#include "tls_handshake.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "ancm/common/checked_move.h"
#include "ancm/server/tls_certificates.h"

namespace ancm::server {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// The handshake runs until it ends (its completion ran) or its time runs out
// first (the socket is closed; the completion, failed, still comes).
enum class HandshakePhase { Running, TimedOut, Ended };

constexpr bool is_legal(HandshakePhase from, HandshakePhase to) {
  using P = HandshakePhase;
  return (from == P::Running && (to == P::TimedOut || to == P::Ended)) ||
         (from == P::TimedOut && to == P::Ended);
}

constexpr std::string_view name(HandshakePhase phase) {
  switch (phase) {
    case HandshakePhase::Running:
      return "Running";
    case HandshakePhase::TimedOut:
      return "TimedOut";
    case HandshakePhase::Ended:
      return "Ended";
  }
  return "?";
}

// Lives until the handshake's completion and its timer's both ran.
class Handshake : public std::enable_shared_from_this<Handshake> {
 public:
  Handshake(const Strand& strand, ClientStream::Socket accepted, TlsContexts& contexts,
            HandshakeDone done)
      : stream_(ClientStream::adopt_socket(strand, std::move(accepted)),
                contexts.handshake_context().native_handle()),
        timer_(strand),
        done_(std::move(done)) {}

  void start(std::chrono::seconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      // The timer may fire before the handshake's end, already queued, ran.
      if (ec || self->phase_ != HandshakePhase::Running) return;
      self->enter(HandshakePhase::TimedOut);
      error_code ignored;
      self->stream_.next_layer().close(ignored);
    });
    stream_.async_handshake([self = shared_from_this()](error_code ec) { self->finish(ec); });
  }

 private:
  void finish(error_code ec) {
    bool timed_out = phase_ == HandshakePhase::TimedOut;
    timer_.cancel();
    if (!enter(HandshakePhase::Ended) || ec || timed_out) return fail(ec, timed_out);
    done_(ClientStream(std::move(stream_)));
  }

  void fail(error_code ec, bool timed_out) {
    error_code ignored;
    std::string why = timed_out ? "timed out" : ec.message();
    spdlog::debug("{} {}: {}", kTlsHandshakeFailed,
                  ClientStream::endpoints_of(stream_.next_layer()).peer, why);
    stream_.next_layer().close(ignored);
  }

  // The only way the phase changes.
  bool enter(HandshakePhase to) {
    return common::checked_move(phase_, to, [](std::string_view from, std::string_view next) {
      spdlog::error("TLS handshake: illegal phase transition {} -> {}", from, next);
    });
  }

  ClientStream::TlsStream stream_;
  asio::steady_timer timer_;
  HandshakeDone done_;
  HandshakePhase phase_ = HandshakePhase::Running;
};

}  // namespace

void handshake_then(const Strand& strand, ClientStream::Socket accepted, TlsContexts& contexts,
                    std::chrono::seconds timeout, HandshakeDone done) {
  auto handshake =
      std::make_shared<Handshake>(strand, std::move(accepted), contexts, std::move(done));
  handshake->start(timeout);
}

}  // namespace ancm::server
