// The certificates an https:// listener serves, as `ancm-host check` and the
// master see them: loaded and checked (readable, key matches certificate),
// with the names and the expiry date they carry.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/server/options.h"

namespace ancm::server {

struct CertificateSummary {
  std::filesystem::path certificate_file, key_file;
  std::string subject;             // RFC 2253, "CN=a.example.test"
  std::vector<std::string> names;  // the DNS names (SAN), else the CN
  std::string not_after;           // "2027-12-01 05:16:37 UTC"
  bool expired = false;
};

// Loads every certificate the options name (the default first, then the
// folder's, by file name); the error names the file and what is wrong.
common::Result<std::vector<CertificateSummary>> check_certificates(const TlsOptions& options);

// The same check in a short-lived process, for the master: `ancm_host
// check-certificates` (command_line.h). Loading certificates brings ~3 MiB of
// OpenSSL's code and data into a process, and the master, a program of its
// own (ancm-host-master), does not even map OpenSSL: only the workers serve
// TLS. The error is check_certificates' (or says how the process ended).
// Call it where no other thread may reap the child.
common::Result<void> check_certificates_in_child(const std::filesystem::path& ancm_host,
                                                 const std::filesystem::path& target,
                                                 const TlsOptions& options);
// The internal command the check runs as.
inline constexpr std::string_view kCheckCertificatesCommand = "check-certificates";

// How `ancm-host check` labels each certificate's names and expiry (a line
// each, the label then the value).
inline constexpr std::string_view kCheckNamesLabel = "names: ";
inline constexpr std::string_view kCheckExpiresLabel = "expires: ";

// The start of the error for an encrypted key given without its passphrase.
inline constexpr std::string_view kKeyIsEncrypted = "the private key is encrypted";
// Logged (debug) with the peer when a TLS handshake fails.
inline constexpr std::string_view kTlsHandshakeFailed = "TLS handshake failed with";
// Logged by the master when the certificates are bad at a recycle.
inline constexpr std::string_view kCertificatesRefused =
    "the certificates cannot be loaded; the current worker keeps serving";

}  // namespace ancm::server
