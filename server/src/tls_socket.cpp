#include "tls_socket.h"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <memory>
#include <new>

namespace ancm::server {

TlsSocket::TlsSocket(Socket socket, SSL_CTX* ctx)
    : socket_(std::move(socket)),
      inbox_(std::make_unique<TlsInbox>(socket_.native_handle())),
      ssl_(SSL_new(ctx)),
      drain_(common::queue_hint_enabled(socket_)) {
  if (!ssl_) throw std::bad_alloc();
  // Writes may end after some records (the caller writes the rest) and be
  // retried from another address after a wait; idle connections give their
  // record buffers back.
  SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                               SSL_MODE_RELEASE_BUFFERS);
  // A record's header and body, and whatever else has arrived, in one
  // read(2) (as nginx reads): without it OpenSSL reads the 5-byte header and
  // the rest apart. Safe only because this socket waits for bytes just after
  // OpenSSL asked for them: read-ahead bytes wait inside OpenSSL, where a
  // wait on the socket would not see them.
  SSL_set_read_ahead(ssl_.get(), 1);
  BIO* reads = inbox_->make_bio();
  BIO* writes = BIO_new_socket(socket_.native_handle(), BIO_NOCLOSE);
  if (reads == nullptr || writes == nullptr) {
    BIO_free(reads);
    BIO_free(writes);
    throw std::bad_alloc();
  }
  SSL_set_bio(ssl_.get(), reads, writes);
  SSL_set_accept_state(ssl_.get());
  // OpenSSL reads and writes the descriptor itself: it must not block.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

TlsSocket::Outcome TlsSocket::outcome_of(int ret) const {
  int saved_errno = errno;
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return {Want::Read, {}};
    case SSL_ERROR_WANT_WRITE:
      return {Want::Write, {}};
    case SSL_ERROR_ZERO_RETURN:
      return {Want::Nothing, boost::asio::error::eof};
    case SSL_ERROR_SYSCALL:
      // A reset, or (errno 0) the peer closed without a close_notify.
      if (saved_errno != 0) {
        return {Want::Nothing, {saved_errno, boost::asio::error::get_system_category()}};
      }
      return {Want::Nothing, boost::asio::ssl::error::stream_truncated};
    default: {
      unsigned long error = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {Want::Nothing, boost::asio::ssl::error::stream_truncated};
      }
      if (error == 0) return {Want::Nothing, boost::asio::error::connection_reset};
      return {Want::Nothing, {static_cast<int>(error), boost::asio::error::get_ssl_category()}};
    }
  }
}

}  // namespace ancm::server
