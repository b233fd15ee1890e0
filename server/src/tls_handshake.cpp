#include "tls_handshake.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "ancm/server/tls_certificates.h"

namespace ancm::server {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Lives until the handshake's completion and its timer's both ran.
class Handshake : public std::enable_shared_from_this<Handshake> {
 public:
  Handshake(const Strand& strand, ClientStream::Socket accepted, TlsContexts& contexts,
            HandshakeDone done)
      : stream_(ClientStream::adopt_socket(strand, std::move(accepted)),
                contexts.handshake_context()),
        timer_(strand),
        done_(std::move(done)) {}

  void start(std::chrono::seconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec || self->finished_) return;  // the handshake ended first
      self->timed_out_ = true;
      error_code ignored;
      self->stream_.next_layer().close(ignored);
    });
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](error_code ec) { self->finish(ec); });
  }

 private:
  void finish(error_code ec) {
    finished_ = true;
    timer_.cancel();
    if (ec || timed_out_) return fail(ec);
    done_(ClientStream(std::move(stream_)));
  }

  void fail(error_code ec) {
    error_code ignored;
    std::string why = timed_out_ ? "timed out" : ec.message();
    spdlog::debug("{} {}: {}", kTlsHandshakeFailed,
                  ClientStream::endpoints_of(stream_.next_layer()).peer, why);
    stream_.next_layer().close(ignored);
  }

  ClientStream::TlsStream stream_;
  asio::steady_timer timer_;
  HandshakeDone done_;
  bool timed_out_ = false;
  bool finished_ = false;  // the timer may have fired before the handshake's end ran
};

}  // namespace

void handshake_then(const Strand& strand, ClientStream::Socket accepted, TlsContexts& contexts,
                    std::chrono::seconds timeout, HandshakeDone done) {
  auto handshake =
      std::make_shared<Handshake>(strand, std::move(accepted), contexts, std::move(done));
  handshake->start(timeout);
}

}  // namespace ancm::server
