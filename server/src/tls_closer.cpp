#include "tls_closer.h"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <utility>

namespace ancm::server {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Lives until its timer's and its I/O's completions all ran.
class TlsCloser : public std::enable_shared_from_this<TlsCloser> {
 public:
  explicit TlsCloser(ClientStream::TlsStream stream)
      : stream_(std::move(stream)), timer_(stream_.get_executor()) {}

  void start(std::chrono::steady_clock::duration linger) {
    timer_.expires_after(linger);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
    // Our close_notify only: OpenSSL would otherwise wait in the shutdown
    // for the client's, reading through TLS; what the client still sends is
    // discarded below without being decrypted.
    SSL* ssl = stream_.native_handle();
    SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_RECEIVED_SHUTDOWN);
    stream_.async_shutdown([self = shared_from_this()](error_code ec) {
      if (ec) return self->close();
      error_code ignored;
      self->socket().shutdown(ClientStream::Socket::shutdown_send, ignored);
      self->discard();
    });
  }

 private:
  ClientStream::Socket& socket() { return stream_.next_layer(); }

  void discard() {
    socket().async_read_some(asio::buffer(discarded_),
                             [self = shared_from_this()](error_code ec, std::size_t) {
                               if (ec) return self->close();  // EOF, or the linger's end
                               self->discard();
                             });
  }

  void close() {
    timer_.cancel();
    error_code ignored;
    socket().close(ignored);
  }

  ClientStream::TlsStream stream_;
  asio::steady_timer timer_;
  std::array<char, 4096> discarded_{};
};

}  // namespace

void close_tls_gracefully(ClientStream::TlsStream stream,
                          std::chrono::steady_clock::duration linger) {
  std::make_shared<TlsCloser>(std::move(stream))->start(linger);
}

}  // namespace ancm::server
