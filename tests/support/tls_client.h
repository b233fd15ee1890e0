// A small blocking HTTPS client for the end-to-end tests (Boost.Asio ssl over
// OpenSSL): one TLS connection, what its handshake agreed, HTTP/1.1 requests
// on it; every wait bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "http_client.h"

namespace ancm::test {

struct TlsClientOptions {
  std::filesystem::path ca_file;  // the server's certificate must chain to it
  std::string server_name;        // sent as SNI and verified; empty: neither
  std::vector<std::string> alpn = {"http/1.1"};
  std::filesystem::path certificate, key;  // a client certificate, when set
};

// What the handshake agreed, as the client saw it.
struct TlsSession {
  std::string protocol;      // "TLSv1.3"
  std::string alpn;          // empty when the server chose none
  std::string peer_subject;  // the server certificate's, "CN=a.example.test"
  std::string peer_serial;   // hex
};

// How the server ended a TLS connection.
enum class TlsEnd {
  CloseNotify,    // its close_notify alert came: nothing was cut short
  NoCloseNotify,  // the TCP connection ended without it (a bare FIN, a reset)
  StillOpen,      // neither, within the time given
};

// For test failure messages.
inline std::ostream& operator<<(std::ostream& out, TlsEnd end) {
  switch (end) {
    case TlsEnd::CloseNotify:
      return out << "CloseNotify";
    case TlsEnd::NoCloseNotify:
      return out << "NoCloseNotify";
    case TlsEnd::StillOpen:
      return out << "StillOpen";
  }
  return out << "?";
}

class TlsConnection {
 public:
  TlsConnection(uint16_t port, const TlsClientOptions& options,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // The handshake succeeded (and the connection was not closed since).
  bool connected() const;
  // Why the connect or the handshake failed.
  const std::string& error() const;
  const TlsSession& session() const;

  void send(const std::string& bytes);
  // Each piece in a TLS record of its own, all leaving in one TCP segment
  // (TCP_CORK), so that they reach the server in one read.
  void send_records(const std::vector<std::string>& pieces);
  std::optional<HttpResponse> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads (and drops) whatever comes until the server ends the connection.
  TlsEnd read_until_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One GET on a new TLS connection (Host: options.server_name or "test",
// Connection: close).
std::optional<HttpResponse> https_get(uint16_t port, const std::string& target,
                                      const TlsClientOptions& options);

}  // namespace ancm::test
