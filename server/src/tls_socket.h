// TLS on an accepted socket, with OpenSSL writing the socket's descriptor
// itself (as nginx runs it) and reading it through a TlsInbox: when OpenSSL
// finds nothing to read, an Asio read into the inbox's 2 KiB is the wait.
// Asio's ssl::stream goes through a BIO pair and record buffers of its own:
// ~70 KiB per connection, held while it idles, and a copy of every record
// each way. Here an idle connection holds OpenSSL's SSL and the inbox
// (SSL_MODE_RELEASE_BUFFERS gives OpenSSL's record buffers back between
// records).
//
// An Asio AsyncReadStream and AsyncWriteStream like the socket under it: one
// read and one write may be in flight at once, started and completed on the
// socket's executor (the connection's strand), so OpenSSL is never entered
// from two threads at once. Completions never run inside the call that
// started them.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

#include "ancm/common/drained_reads.h"
#include "tls_inbox.h"

namespace ancm::server {

class TlsSocket {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  using executor_type = Socket::executor_type;

  // The server side of a handshake on socket, with ctx's settings (SNI may
  // move it to another context). Throws std::bad_alloc when OpenSSL cannot
  // make the SSL.
  TlsSocket(Socket socket, SSL_CTX* ctx);

  executor_type get_executor() { return socket_.get_executor(); }
  // The inbox's fills are Asio's own reads from now on (ClientStream::stop_draining).
  void stop_draining() { drain_.stop(); }
  // The next fill may wait without trying (ClientStream::write_follows).
  void write_follows() { drain_.write_follows(); }
  Socket& next_layer() { return socket_; }
  const Socket& next_layer() const { return socket_; }
  SSL* native_handle() const { return ssl_.get(); }

  // void(error_code)
  template <class Handler>
  auto async_handshake(Handler&& handler) {
    return run<void(boost::system::error_code)>(
        [](SSL* ssl, std::size_t& done) {
          done = 0;
          return SSL_do_handshake(ssl);
        },
        std::forward<Handler>(handler));
  }

  // void(error_code, std::size_t): reads into the first non-empty buffer.
  // The peer's close_notify ends it with asio::error::eof; a connection
  // closed without one with asio::ssl::error::stream_truncated.
  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return transfer(first_buffer<boost::asio::mutable_buffer>(buffers), &SSL_read_ex,
                    std::forward<Handler>(handler));
  }

  // void(error_code, std::size_t): writes from the first non-empty buffer.
  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    drain_.wrote();  // OpenSSL writes the socket within this call or after a wait
    return transfer(first_buffer<boost::asio::const_buffer>(buffers), &SSL_write_ex,
                    std::forward<Handler>(handler));
  }

  // void(error_code): our close_notify is out. Waits for the peer's only if
  // SSL_RECEIVED_SHUTDOWN is not set (tls_closer.cpp sets it).
  template <class Handler>
  auto async_shutdown(Handler&& handler) {
    return run<void(boost::system::error_code)>(
        [](SSL* ssl, std::size_t& done) {
          done = 0;
          return SSL_shutdown(ssl) >= 0 ? 1 : -1;
        },
        std::forward<Handler>(handler));
  }

 private:
  struct SslFree {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };

  // What an OpenSSL call that did not succeed asks for.
  enum class Want { Nothing, Read, Write };
  struct Outcome {
    Want want = Want::Nothing;
    boost::system::error_code ec;
  };
  Outcome outcome_of(int ret) const;

  template <class Buffer, class Buffers>
  static Buffer first_buffer(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Buffer buffer(*it);
      if (buffer.size() > 0) return buffer;
    }
    return Buffer();
  }

  // One read or write of buffer (SSL_read_ex or SSL_write_ex); an empty
  // buffer moves nothing and ends at once.
  template <class Buffer, class SslTransfer, class Handler>
  auto transfer(Buffer buffer, SslTransfer ssl_transfer, Handler&& handler) {
    return run<void(boost::system::error_code, std::size_t)>(
        [buffer, ssl_transfer](SSL* ssl, std::size_t& done) {
          if (buffer.size() == 0) return (done = 0, 1);
          return ssl_transfer(ssl, buffer.data(), buffer.size(), &done);
        },
        std::forward<Handler>(handler));
  }

  // One OpenSSL call, retried after each readiness wait it asks for. A
  // result ready at once is posted, never run inside the starting call.
  template <class Call, bool kWithSize>
  struct Operation {
    Operation(TlsSocket* socket, Call ssl_call) : tls(socket), call(std::move(ssl_call)) {}

    TlsSocket* tls;
    Call call;
    bool waited = false;
    bool posted = false;
    boost::system::error_code result_ec;
    std::size_t result = 0;

    template <class Self>
    void operator()(Self& self, boost::system::error_code wait_ec = {}) {
      if (posted) return finish(self);
      if (wait_ec) {
        result_ec = wait_ec;
        return finish(self);
      }
      // So that the error queue and errno say what this call did, nothing older.
      ERR_clear_error();
      errno = 0;
      std::size_t done = 0;
      int ret = call(tls->ssl_.get(), done);
      Outcome outcome = ret == 1 ? Outcome{} : tls->outcome_of(ret);
      if (outcome.want == Want::Read && !tls->inbox_->filling()) {
        waited = true;
        return common::async_read_some_drained(tls->socket_, tls->drain_, tls->inbox_->begin_fill(),
                                               std::move(self));
      }
      if (outcome.want != Want::Nothing) {
        // Writable, or (a write wanting to read while a read's fill is
        // pending: renegotiation, which the contexts turn off) readable.
        waited = true;
        auto wait = outcome.want == Want::Read ? Socket::wait_read : Socket::wait_write;
        return tls->socket_.async_wait(wait, std::move(self));
      }
      result_ec = outcome.ec;
      result = done;
      if (waited) return finish(self);
      posted = true;
      boost::asio::post(std::move(self));
    }

    // The inbox's read ended: OpenSSL is asked again, with what it brought.
    template <class Self>
    void operator()(Self& self, boost::system::error_code read_ec, std::size_t n) {
      tls->inbox_->filled(n, read_ec == boost::asio::error::eof);
      if (read_ec && read_ec != boost::asio::error::eof) {
        result_ec = read_ec;
        return finish(self);
      }
      (*this)(self);
    }

    template <class Self>
    void finish(Self& self) {
      if constexpr (kWithSize) {
        self.complete(result_ec, result);
      } else {
        self.complete(result_ec);
      }
    }
  };

  template <class Signature, class Call, class Handler>
  auto run(Call call, Handler&& handler) {
    constexpr bool with_size =
        std::is_same_v<Signature, void(boost::system::error_code, std::size_t)>;
    return boost::asio::async_compose<Handler, Signature>(
        Operation<Call, with_size>(this, std::move(call)), handler, socket_);
  }

  Socket socket_;
  std::unique_ptr<TlsInbox> inbox_;  // OpenSSL's read BIO points at it: one address
  std::unique_ptr<SSL, SslFree> ssl_;
  // The inbox's fills drain (common/drained_reads.h); no fill is pending
  // while the socket moves.
  common::ReadDrain drain_;
};

}  // namespace ancm::server
