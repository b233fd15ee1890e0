// The worker's TLS contexts, built once when it starts (a recycle's new
// worker reads the files afresh): TLS 1.2 and 1.3 with Mozilla's
// "intermediate" ciphers, session resumption, the default certificate and
// the --tls-cert-dir ones chosen by SNI, ALPN, client certificates.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/server/options.h"
#include "ancm/server/tls_certificates.h"
#include "tls_certificate_files.h"

namespace ancm::server {

inline constexpr std::string_view kAlpnHttp2 = "h2";
inline constexpr std::string_view kAlpnHttp11 = "http/1.1";

// "a.example.com" against "a.example.com" or "*.example.com" (one label),
// ignoring case.
bool server_name_matches(std::string_view pattern, std::string_view name);

class TlsContexts {
 public:
  // http2: ALPN offers "h2" before "http/1.1" (else "http/1.1" only).
  static common::Result<std::unique_ptr<TlsContexts>> load(const TlsOptions& options, bool http2);

  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  // What a handshake starts with; SNI may move it to another certificate's.
  boost::asio::ssl::context& handshake_context() { return served_.front()->context; }
  // The default certificate first, then the folder's.
  std::vector<CertificateSummary> certificates() const;

 private:
  struct Served {
    boost::asio::ssl::context context{boost::asio::ssl::context::tls_server};
    CertificateSummary summary;
    std::vector<std::string> names;  // what SNI is matched against
  };

  explicit TlsContexts(bool http2) : http2_(http2) {}
  common::Result<void> add(const TlsOptions& options, const std::string& file_name,
                           const CertificatePair& pair);
  common::Result<void> configure(SSL_CTX* ctx, const TlsOptions& options);
  SSL_CTX* context_for(std::string_view server_name) const;
  static int on_server_name(SSL* ssl, int* alert, void* self);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_length,
                     const unsigned char* in, unsigned int in_length, void* self);

  bool http2_;
  std::vector<std::unique_ptr<Served>> served_;  // the default first
};

}  // namespace ancm::server
