#include "tls_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <functional>

#include "beast_response.h"

namespace ancm::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

std::string subject_of(X509* certificate) {
  if (!certificate) return {};
  char text[512] = {};
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
  int length = BIO_read(bio, text, sizeof text - 1);
  BIO_free(bio);
  return std::string(text, static_cast<std::size_t>(std::max(0, length)));
}

std::string serial_of(X509* certificate) {
  if (!certificate) return {};
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
  char* hex = BN_bn2hex(number);
  std::string text(hex);
  OPENSSL_free(hex);
  BN_free(number);
  return text;
}

std::string alpn_wire(const std::vector<std::string>& names) {
  std::string wire;
  for (const auto& name : names) wire += static_cast<char>(name.size()) + name;
  return wire;
}

}  // namespace

struct TlsConnection::Impl {
  asio::io_context io;
  asio::ssl::context context{asio::ssl::context::tls_client};
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> stream;
  beast::flat_buffer buffer;
  bool ok = false;
  std::string error;
  TlsSession session;

  // Runs the loop until done or the time is up (then cancels and finishes).
  bool run_for(std::chrono::milliseconds timeout, const bool& done) {
    io.restart();
    io.run_for(timeout);
    if (done) return true;
    error_code ignored;
    stream->next_layer().close(ignored);
    io.restart();
    io.run();
    return false;
  }

  void configure(const TlsClientOptions& options) {
    if (!options.ca_file.empty()) {
      context.load_verify_file(options.ca_file.string());
      context.set_verify_mode(asio::ssl::verify_peer);
    }
    if (!options.certificate.empty()) {
      context.use_certificate_chain_file(options.certificate.string());
      context.use_private_key_file(options.key.string(), asio::ssl::context::pem);
    }
    auto wire = alpn_wire(options.alpn);
    SSL_CTX_set_alpn_protos(context.native_handle(),
                            reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
    stream.emplace(io, context);
    if (!options.server_name.empty()) {
      SSL_set_tlsext_host_name(stream->native_handle(), options.server_name.c_str());
      stream->set_verify_callback(asio::ssl::host_name_verification(options.server_name));
    }
  }

  void read_session() {
    SSL* ssl = stream->native_handle();
    session.protocol = SSL_get_version(ssl);
    const unsigned char* alpn = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &length);
    if (alpn) session.alpn.assign(reinterpret_cast<const char*>(alpn), length);
    X509* peer = SSL_get0_peer_certificate(ssl);
    session.peer_subject = subject_of(peer);
    session.peer_serial = serial_of(peer);
  }
};

TlsConnection::TlsConnection(uint16_t port, const TlsClientOptions& options,
                             std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  try {
    impl_->configure(options);
  } catch (const std::exception& e) {
    impl_->error = std::string("client set-up: ") + e.what();
    return;
  }
  error_code ec;
  impl_->stream->next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    impl_->error = "connect: " + ec.message();
    return;
  }
  bool done = false;
  error_code result;
  impl_->stream->async_handshake(asio::ssl::stream_base::client, [&](error_code handshake_ec) {
    result = handshake_ec;
    done = true;
  });
  if (!impl_->run_for(timeout, done)) {
    impl_->error = "handshake timed out";
  } else if (result) {
    impl_->error = "handshake: " + result.message();
  } else {
    impl_->ok = true;
    impl_->read_session();
  }
}

TlsConnection::~TlsConnection() = default;

bool TlsConnection::connected() const { return impl_->ok; }
const std::string& TlsConnection::error() const { return impl_->error; }
const TlsSession& TlsConnection::session() const { return impl_->session; }

void TlsConnection::send(const std::string& bytes) {
  if (!impl_->ok) return;
  bool done = false;
  asio::async_write(*impl_->stream, asio::buffer(bytes), [&](error_code ec, std::size_t) {
    if (ec) impl_->ok = false;
    done = true;
  });
  if (!impl_->run_for(std::chrono::seconds(10), done)) impl_->ok = false;
}

void TlsConnection::send_records(const std::vector<std::string>& pieces) {
  if (!impl_->ok) return;
  int fd = impl_->stream->next_layer().native_handle();
  int on = 1;
  int off = 0;
  ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on);
  for (const auto& piece : pieces) send(piece);
  ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
}

std::optional<HttpResponse> TlsConnection::read_response(std::chrono::milliseconds timeout) {
  if (!impl_->ok) return std::nullopt;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 30);
  bool done = false;
  error_code result;
  http::async_read(*impl_->stream, impl_->buffer, parser, [&](error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!impl_->run_for(timeout, done) || result) {
    impl_->ok = false;
    return std::nullopt;
  }
  return to_test_response(parser.release());
}

TlsEnd TlsConnection::read_until_closed(std::chrono::milliseconds timeout) {
  if (!impl_->stream) return TlsEnd::NoCloseNotify;
  std::array<char, 4096> dropped{};
  bool done = false;
  error_code end;
  std::function<void()> read = [&] {
    impl_->stream->async_read_some(asio::buffer(dropped), [&](error_code ec, std::size_t) {
      if (!ec) return read();
      end = ec;
      done = true;
    });
  };
  read();
  bool ended = impl_->run_for(timeout, done);
  impl_->ok = false;
  if (!ended) return TlsEnd::StillOpen;
  // Asio reports OpenSSL's SSL_ERROR_ZERO_RETURN (close_notify) as eof, and
  // an EOF without it as stream_truncated.
  return end == asio::error::eof ? TlsEnd::CloseNotify : TlsEnd::NoCloseNotify;
}

std::optional<HttpResponse> https_get(uint16_t port, const std::string& target,
                                      const TlsClientOptions& options) {
  TlsConnection connection(port, options);
  if (!connection.connected()) return std::nullopt;
  std::string host = options.server_name.empty() ? "test" : options.server_name;
  connection.send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
  return connection.read_response();
}

}  // namespace ancm::test
