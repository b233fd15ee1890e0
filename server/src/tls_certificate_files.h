// One certificate and its key, from PEM files into an OpenSSL context, and
// the certificate pairs of a --tls-cert-dir folder.
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/server/tls_certificates.h"

namespace ancm::server {

struct CertificatePair {
  std::filesystem::path certificate, key;
};

// Makes ctx serve the pair (the certificate file may hold the chain after the
// leaf). An encrypted key needs passphrase_file (its first line is the
// passphrase). The error names the file.
common::Result<CertificateSummary> load_certificate_pair(
    SSL_CTX* ctx, const CertificatePair& pair, const std::filesystem::path& passphrase_file);

// Every name.pem in dir that has a name.key beside it, sorted by name; a .pem
// without its key is an error.
common::Result<std::vector<CertificatePair>> certificate_pairs_in(const std::filesystem::path& dir);

// OpenSSL's last error as text ("no start line"), the queue cleared.
std::string last_openssl_error();

}  // namespace ancm::server
