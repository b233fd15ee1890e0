#include "tls_context.h"

#include <openssl/ssl.h>

#include "ancm/common/ascii.h"

namespace ancm::server {
namespace {

// Mozilla's "intermediate" configuration (Server Side TLS, version 5.7):
// TLS 1.2 and 1.3, forward-secret AEAD suites only, the client's order.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:prime256v1:secp384r1";
// Sessions resume only in contexts with the same id (a client certificate's
// verification result is part of the session).
constexpr unsigned char kSessionIdContext[] = "ancm-host";

// ALPN's wire form: length-prefixed names, most preferred first.
constexpr unsigned char kAlpnWithHttp2[] = "\x02h2\x08http/1.1";
constexpr unsigned char kAlpnHttp11Only[] = "\x08http/1.1";

// Without --tls-client-ca the application judges the certificate it is given.
int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

common::Result<void> configure_client_certificates(SSL_CTX* ctx, const TlsOptions& options) {
  if (options.client_certificate == ClientCertificateMode::none) return {};
  int mode = SSL_VERIFY_PEER;
  if (options.client_certificate == ClientCertificateMode::require) {
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  if (options.client_ca.empty()) {
    SSL_CTX_set_verify(ctx, mode, accept_any_certificate);
    return {};
  }
  if (SSL_CTX_load_verify_locations(ctx, options.client_ca.c_str(), nullptr) != 1) {
    return common::fail("cannot load the client CA file " + options.client_ca.string() + ": " +
                        last_openssl_error());
  }
  SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(options.client_ca.c_str()));
  SSL_CTX_set_verify(ctx, mode, nullptr);
  return {};
}

}  // namespace

bool server_name_matches(std::string_view pattern, std::string_view name) {
  if (pattern.starts_with("*.")) {
    auto dot = name.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return common::iequals(pattern.substr(1), name.substr(dot));
  }
  return common::iequals(pattern, name);
}

common::Result<std::unique_ptr<TlsContexts>> TlsContexts::load(const TlsOptions& options,
                                                               bool http2) {
  std::unique_ptr<TlsContexts> contexts(new TlsContexts(http2));
  auto added = contexts->add(options, {}, {options.certificate, options.key});
  if (!added.ok()) return common::fail(std::move(added).error());
  if (!options.certificate_dir.empty()) {
    auto pairs = certificate_pairs_in(options.certificate_dir);
    if (!pairs.ok()) return common::fail(std::move(pairs).error());
    for (const auto& pair : pairs.value()) {
      added = contexts->add(options, pair.certificate.stem().string(), pair);
      if (!added.ok()) return common::fail(std::move(added).error());
    }
  }
  SSL_CTX* first = contexts->served_.front()->context.native_handle();
  SSL_CTX_set_tlsext_servername_callback(first, on_server_name);
  SSL_CTX_set_tlsext_servername_arg(first, contexts.get());
  return contexts;
}

std::vector<CertificateSummary> TlsContexts::certificates() const {
  std::vector<CertificateSummary> summaries;
  for (const auto& served : served_) summaries.push_back(served->summary);
  return summaries;
}

// file_name: the folder entry's name ("a.example.com" for a.example.com.pem),
// matched besides the certificate's own names; empty for the default.
common::Result<void> TlsContexts::add(const TlsOptions& options, const std::string& file_name,
                                      const CertificatePair& pair) {
  auto served = std::make_unique<Served>();
  SSL_CTX* ctx = served->context.native_handle();
  if (auto configured = configure(ctx, options); !configured.ok()) return configured;
  auto loaded = load_certificate_pair(ctx, pair, options.key_passphrase_file);
  if (!loaded.ok()) return common::fail(std::move(loaded).error());
  served->summary = std::move(loaded).value();
  served->names = served->summary.names;
  if (!file_name.empty()) served->names.push_back(file_name);
  served_.push_back(std::move(served));
  return {};
}

common::Result<void> TlsContexts::configure(SSL_CTX* ctx, const TlsOptions& options) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    return common::fail("this OpenSSL refuses the TLS cipher settings: " + last_openssl_error());
  }
  SSL_CTX_set_dh_auto(ctx, 1);
  // Resumption: a server-side session cache (TLS 1.2 ids) and tickets (on
  // by default, TLS 1.2 and 1.3), both per worker.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  SSL_CTX_set_alpn_select_cb(ctx, on_alpn, this);
  return configure_client_certificates(ctx, options);
}

SSL_CTX* TlsContexts::context_for(std::string_view server_name) const {
  for (const auto& served : served_) {
    for (const auto& name : served->names) {
      if (server_name_matches(name, server_name)) return served->context.native_handle();
    }
  }
  return nullptr;
}

// Unknown names and no SNI get the default certificate.
int TlsContexts::on_server_name(SSL* ssl, int*, void* self) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_OK;
  SSL_CTX* chosen = static_cast<TlsContexts*>(self)->context_for(name);
  if (chosen != nullptr && chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

// A client that offers none of ours goes on without ALPN (HTTP/1.1).
int TlsContexts::on_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                         const unsigned char* in, unsigned int in_length, void* self) {
  bool http2 = static_cast<TlsContexts*>(self)->http2_;
  const unsigned char* ours = http2 ? kAlpnWithHttp2 : kAlpnHttp11Only;
  unsigned int ours_length = http2 ? sizeof kAlpnWithHttp2 - 1 : sizeof kAlpnHttp11Only - 1;
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, ours, ours_length, in, in_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

common::Result<std::vector<CertificateSummary>> check_certificates(const TlsOptions& options) {
  auto contexts = TlsContexts::load(options, false);
  if (!contexts.ok()) return common::fail(std::move(contexts).error());
  return contexts.value()->certificates();
}

}  // namespace ancm::server
