// Certificates for the TLS tests, made with the openssl CLI in a temporary
// folder: one CA, and leaf certificates it signs (ECDSA P-256, SAN names).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace ancm::test {

struct TestCertificate {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path key;          // PEM, unencrypted

  // `ancm-host run`'s flags that serve it: --tls-cert <certificate> --tls-key <key>.
  std::vector<std::string> server_args() const {
    return {"--tls-cert", certificate.string(), "--tls-key", key.string()};
  }
};

class TestCertificates {
 public:
  TestCertificates();  // makes the CA; throws std::runtime_error with openssl's output

  const std::filesystem::path& folder() const { return dir_.path(); }
  const std::filesystem::path& ca_file() const { return ca_.certificate; }

  // A certificate for `names` (the first is the CN, all are DNS SANs) written
  // as <folder>/<file_stem>.pem and .key; usable by a server or a client.
  TestCertificate issue(const std::string& file_stem, const std::vector<std::string>& names,
                        const std::filesystem::path& folder = {});
  // The key encrypted with passphrase (AES-256), beside it as <stem>.encrypted.key.
  std::filesystem::path encrypt_key(const TestCertificate& certificate,
                                    const std::string& passphrase);

 private:
  TempDir dir_{"ancm-tls"};
  TestCertificate ca_;
  long serial_ = 1000;  // each certificate its own, so a test can tell them apart
};

}  // namespace ancm::test
