#include "client_stream.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>

#include "ancm/abi_strings.h"
#include "ancm/common/splice_some.h"
#include "socket_address.h"
#include "tls_closer.h"

namespace ancm::server {
namespace {

TlsFacts read_facts(SSL* ssl) {
  TlsFacts facts;
  facts.protocol = SSL_get_version(ssl);
  facts.cipher = SSL_get_cipher_name(ssl);
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  if (alpn) facts.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
    facts.server_name = name;
  }
  if (X509* certificate = SSL_get0_peer_certificate(ssl)) {
    int length = i2d_X509(certificate, nullptr);
    if (length > 0) {
      facts.client_certificate.resize(static_cast<std::size_t>(length));
      unsigned char* out = facts.client_certificate.data();
      i2d_X509(certificate, &out);
    }
  }
  return facts;
}

// A non-blocking read's or splice's result (a count, or -errno) as the
// stream's callers take it: the count, or 0 with ec (eof for a 0,
// would_block for EAGAIN).
std::size_t count_or_error(ssize_t result, boost::system::error_code& ec) {
  if (result > 0) return static_cast<std::size_t>(result);
  if (result == 0) {
    ec = boost::asio::error::eof;
  } else if (result == -EAGAIN) {
    ec = boost::asio::error::would_block;
  } else {
    ec = boost::system::error_code(static_cast<int>(-result), boost::system::system_category());
  }
  return 0;
}

}  // namespace

ClientStream::ClientStream(TlsStream tls)
    : transport_(std::in_place_type<TlsStream>, std::move(tls)),
      tls_(read_facts(std::get<TlsStream>(transport_).native_handle())) {}

ClientStream::Endpoints ClientStream::endpoints() const { return endpoints_of(lowest_layer()); }

ClientStream::Endpoints ClientStream::endpoints_of(const Socket& socket) {
  Endpoints result;
  boost::system::error_code ec;
  auto remote_endpoint = socket.remote_endpoint(ec);
  auto remote = ec ? SocketAddress{}
                   : read_socket_address(remote_endpoint.data(),
                                         static_cast<socklen_t>(remote_endpoint.size()));
  auto local_endpoint = socket.local_endpoint(ec);
  auto local = ec ? SocketAddress{}
                  : read_socket_address(local_endpoint.data(),
                                        static_cast<socklen_t>(local_endpoint.size()));
  result.remote_address = remote.ip;
  result.remote_port = remote.port;
  result.local_address = local.ip;
  result.local_port = local.port;
  result.peer = remote.is_unix() ? local.display() : remote.display();
  return result;
}

void ClientStream::close_gracefully(std::chrono::steady_clock::duration linger) {
  auto* tls = std::get_if<TlsStream>(&transport_);
  if (!tls) return close();
  auto executor = tls->get_executor();
  close_tls_gracefully(std::move(*tls), linger);
  transport_.emplace<Socket>(executor);
}

int ClientStream::tls_info(ancm_tls_info* out) const {
  *out = {};
  if (!tls_) return -ENOENT;
  out->protocol = abi::str(tls_->protocol);
  out->cipher = abi::str(tls_->cipher);
  out->alpn = abi::str(tls_->alpn);
  out->server_name = abi::str(tls_->server_name);
  if (!tls_->client_certificate.empty()) {
    out->client_certificate = tls_->client_certificate.data();
    out->client_certificate_len = tls_->client_certificate.size();
  }
  return 0;
}

// The socket's own non-blocking flag decides whether splice(2) waits for
// room in it, so it is set first (Asio's async operations work either way).
std::size_t ClientStream::splice_from_pipe(int pipe_fd, std::size_t len,
                                           boost::system::error_code& ec) {
  auto& socket = lowest_layer();
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (ec) return 0;
  // EAGAIN is the full socket; an empty pipe is -EIO (drain_pipe_some),
  // which callers test as errc::io_error.
  return count_or_error(common::drain_pipe_some(pipe_fd, socket.native_handle(), len), ec);
}

// splice(2) waits for bytes unless the socket itself is non-blocking, as
// splice_from_pipe says.
std::size_t ClientStream::splice_to_pipe(int pipe_fd, std::size_t len,
                                         boost::system::error_code& ec) {
  auto& socket = lowest_layer();
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  if (ec) return 0;
  return count_or_error(common::splice_some(socket.native_handle(), pipe_fd, len), ec);
}

std::size_t ClientStream::read_available(void* data, std::size_t len,
                                         boost::system::error_code& ec) {
  ssize_t got = ::recv(lowest_layer().native_handle(), data, len, MSG_DONTWAIT);
  return count_or_error(got < 0 ? -errno : got, ec);
}

}  // namespace ancm::server
