#include "tls_certificate_files.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>

namespace ancm::server {
namespace {

template <auto Free>
struct Freer {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Freer<BIO_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Freer<GENERAL_NAMES_free>>;

struct Passphrase {
  std::string text;
  bool given = false;
  bool asked = false;  // OpenSSL found the key encrypted
};

int passphrase_callback(char* buf, int size, int, void* user) {
  auto* passphrase = static_cast<Passphrase*>(user);
  passphrase->asked = true;
  if (!passphrase->given || passphrase->text.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buf, passphrase->text.data(), passphrase->text.size());
  return static_cast<int>(passphrase->text.size());
}

common::Result<Passphrase> read_passphrase(const std::filesystem::path& file) {
  Passphrase passphrase;
  if (file.empty()) return passphrase;
  std::ifstream in(file);
  if (!in) return common::fail("cannot read the key passphrase file " + file.string());
  std::getline(in, passphrase.text);
  if (!passphrase.text.empty() && passphrase.text.back() == '\r') passphrase.text.pop_back();
  passphrase.given = true;
  return passphrase;
}

common::Result<KeyPtr> read_key(const std::filesystem::path& file,
                                const std::filesystem::path& passphrase_file) {
  auto passphrase = read_passphrase(passphrase_file);
  if (!passphrase.ok()) return common::fail(std::move(passphrase).error());
  BioPtr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio)
    return common::fail("cannot read the private key " + file.string() + ": " +
                        last_openssl_error());
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &passphrase.value()));
  if (key) return key;
  auto why = last_openssl_error();
  if (passphrase.value().asked && !passphrase.value().given) {
    return common::fail(std::string(kKeyIsEncrypted) + ": " + file.string() +
                        " needs its passphrase (--tls-key-passphrase-file FILE)");
  }
  if (passphrase.value().asked) {
    return common::fail("cannot decrypt the private key " + file.string() +
                        " with the passphrase in " + passphrase_file.string() + ": " + why);
  }
  return common::fail("no PEM private key in " + file.string() + ": " + why);
}

std::string name_text(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(std::max(0L, length)));
}

// The DNS names of the subjectAltName, else the subject's CN.
std::vector<std::string> dns_names(X509* certificate) {
  std::vector<std::string> names;
  NamesPtr alt(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; alt && i < sk_GENERAL_NAME_num(alt.get()); ++i) {
    const GENERAL_NAME* entry = sk_GENERAL_NAME_value(alt.get(), i);
    if (entry->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = entry->d.dNSName;
    names.emplace_back(reinterpret_cast<const char*>(dns->data),
                       static_cast<std::size_t>(dns->length));
  }
  if (!names.empty()) return names;
  X509_NAME* subject = X509_get_subject_name(certificate);
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return names;
  unsigned char* utf8 = nullptr;
  int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
  if (length >= 0)
    names.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return names;
}

std::string time_text(const ASN1_TIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return "unknown";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

CertificateSummary summarize(X509* certificate, const CertificatePair& pair) {
  CertificateSummary summary;
  summary.certificate_file = pair.certificate;
  summary.key_file = pair.key;
  summary.subject = name_text(X509_get_subject_name(certificate));
  summary.names = dns_names(certificate);
  summary.not_after = time_text(X509_get0_notAfter(certificate));
  summary.expired = X509_cmp_current_time(X509_get0_notAfter(certificate)) < 0;
  return summary;
}

}  // namespace

std::string last_openssl_error() {
  unsigned long code = ERR_peek_last_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

common::Result<CertificateSummary> load_certificate_pair(
    SSL_CTX* ctx, const CertificatePair& pair, const std::filesystem::path& passphrase_file) {
  if (SSL_CTX_use_certificate_chain_file(ctx, pair.certificate.c_str()) != 1) {
    return common::fail("cannot load the certificate " + pair.certificate.string() + ": " +
                        last_openssl_error());
  }
  auto key = read_key(pair.key, passphrase_file);
  if (!key.ok()) return common::fail(std::move(key).error());
  if (SSL_CTX_use_PrivateKey(ctx, key.value().get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    return common::fail("the private key " + pair.key.string() +
                        " does not match the certificate " + pair.certificate.string() + ": " +
                        last_openssl_error());
  }
  return summarize(SSL_CTX_get0_certificate(ctx), pair);
}

common::Result<std::vector<CertificatePair>> certificate_pairs_in(
    const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator entries(dir, ec);
  if (ec)
    return common::fail("cannot read the certificate folder " + dir.string() + ": " + ec.message());
  std::vector<CertificatePair> pairs;
  for (const auto& entry : entries) {
    if (entry.path().extension() != ".pem") continue;
    auto key = entry.path();
    key.replace_extension(".key");
    if (!std::filesystem::exists(key)) {
      return common::fail("the certificate " + entry.path().string() + " has no key beside it (" +
                          key.filename().string() + ")");
    }
    pairs.push_back({entry.path(), key});
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return a.certificate < b.certificate; });
  return pairs;
}

}  // namespace ancm::server
