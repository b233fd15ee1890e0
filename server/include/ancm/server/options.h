// What `ancm-host run` can be told: where to listen, the HTTP limits, TLS.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ancm::server {

struct HttpLimits {
  std::size_t max_header_bytes = 32 * 1024;  // request line + headers → 431
  std::size_t max_uri_bytes = 8 * 1024;      // request-target → 414
  std::size_t max_header_count = 100;        // header fields → 431 (Kestrel's default)
  std::size_t max_body_bytes = 30'000'000;   // IIS's default → 413; see below
  // A head's first byte to its end; the first request's from accept (the
  // TLS handshake or HTTP/2's preface included: first_head_deadline.h).
  std::chrono::seconds header_timeout{30};
  std::chrono::seconds keepalive_timeout{120};  // idle between requests
  std::chrono::seconds io_timeout{60};          // one body read or write stalls
  // --max-body-bytes. The worker sets max_body_bytes to it when given, else
  // to web.config's requestLimits maxAllowedContentLength (keeping the
  // default above when web.config cannot be read).
  std::optional<std::size_t> max_body_bytes_override;
  // HTTP/2 (h2c prior knowledge, and "h2" over TLS). Header lists are bounded
  // by max_header_bytes, as HTTP/1's heads are.
  std::size_t http2_max_concurrent_streams = 100;
  std::size_t http2_stream_window = 256 * 1024;       // per stream: bounds a body's buffering
  std::size_t http2_connection_window = 1024 * 1024;  // all streams of one connection
};

// --client-cert: whether the TLS handshake asks the client for a certificate.
enum class ClientCertificateMode { none, allow, require };

// The certificates an https:// listener serves (tls_context.h loads them).
struct TlsOptions {
  std::filesystem::path certificate;          // --tls-cert: PEM, leaf first, then the chain
  std::filesystem::path key;                  // --tls-key: PEM
  std::filesystem::path key_passphrase_file;  // --tls-key-passphrase-file: for an encrypted key
  // --tls-cert-dir: name.pem + name.key pairs, chosen by SNI; the default
  // (--tls-cert) answers every other name.
  std::filesystem::path certificate_dir;
  ClientCertificateMode client_certificate = ClientCertificateMode::none;
  // --tls-client-ca: the CAs a client certificate must chain to; without it
  // any client certificate is taken and left to the application to judge.
  std::filesystem::path client_ca;

  bool configured() const { return !certificate.empty(); }
};

// --unix-socket-mode and --unix-socket-group: who may connect to the socket
// files of unix: listeners (connecting needs write permission on the file).
struct UnixSocketOptions {
  // Owner and group read/write, nobody else (php-fpm's listen.mode default):
  // a front proxy that should connect joins the group (--unix-socket-group),
  // and the mode does not depend on the umask ancm-host was started with
  // (nginx and Kestrel leave it to the umask; systemd's SocketMode is 0666).
  unsigned mode = 0660;
  std::string group;  // a group name or number; empty keeps the master's group
};

// --access-log-format: IIS's W3C extended log (the default, as IIS writes
// it) or nginx's "combined".
enum class AccessLogFormat { w3c, combined };

// --access-log and --access-log-format: one line per request, off by default.
struct AccessLogOptions {
  std::filesystem::path path;  // empty: off; "-": stdout
  AccessLogFormat format = AccessLogFormat::w3c;

  bool enabled() const { return !path.empty(); }
};

struct MasterOptions {
  std::filesystem::path target;     // web.config or its folder
  std::vector<std::string> listen;  // URLs; default kDefaultListenUrl (listen_address.h)
  HttpLimits limits;
  TlsOptions tls;
  UnixSocketOptions unix_socket;
  AccessLogOptions access_log;
  // --admin-listen: where /metrics and /healthz are served (host:port or
  // http://host:port); empty: nowhere. Never one of the app's listeners.
  std::string admin_listen;
  // How long a stopping worker lets requests finish; 0 = the app's
  // shutdownTimeLimit (what ANCM bounds a shutdown by).
  std::chrono::seconds drain_timeout{0};
  std::chrono::milliseconds shutdown_delay{0};  // from web.config, for the kill deadline
  int threads = 0;                              // worker I/O threads; 0 = one per core
};

struct WorkerOptions {
  std::filesystem::path target;
  std::vector<int> listen_fds;      // inherited from the master
  std::vector<int> tls_listen_fds;  // inherited too, served over TLS (tls set)
  int control_fd = -1;              // socketpair end to the master
  // Set when workers kept crashing while starting the app: this one serves
  // the start-up error page with this reason instead of starting it again.
  std::string start_failure;
  HttpLimits limits;
  TlsOptions tls;
  std::chrono::seconds drain_timeout{10};
  int threads = 0;
  AccessLogOptions access_log;
  std::vector<int> admin_listen_fds;  // inherited from the master: /metrics and /healthz
  long long recycles = 0;             // recycles the master made before this worker (a metric)
};

}  // namespace ancm::server
