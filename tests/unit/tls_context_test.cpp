// The worker's TLS contexts as built from real certificate files (made by the
// openssl CLI): protocol versions, ciphers, resumption, client certificate
// modes, and the errors that name the bad file.
#include "tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <set>

#include "host_process.h"
#include "test_certificates.h"

namespace ancm::server {
namespace {

class TlsContextTest : public ::testing::Test {
 protected:
  TlsOptions options() const {
    TlsOptions tls;
    tls.certificate = leaf_.certificate;
    tls.key = leaf_.key;
    return tls;
  }

  test::TestCertificates certificates_;
  test::TestCertificate leaf_ = certificates_.issue("leaf", {"leaf.example.test"});
};

std::set<std::string> cipher_names(SSL_CTX* ctx) {
  std::set<std::string> names;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    names.insert(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
  }
  return names;
}

TEST_F(TlsContextTest, Tls12And13WithTheIntermediateCiphersAndResumption) {
  auto loaded = TlsContexts::load(options(), false);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  SSL_CTX* ctx = loaded.value()->handshake_context().native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_max_proto_version(ctx), TLS1_3_VERSION);
  auto names = cipher_names(ctx);
  EXPECT_EQ(names,
            (std::set<std::string>{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                   "TLS_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256",
                                   "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                   "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
                                   "ECDHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES128-GCM-SHA256",
                                   "DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305"}));
  EXPECT_EQ(SSL_CTX_get_session_cache_mode(ctx) & SSL_SESS_CACHE_SERVER, SSL_SESS_CACHE_SERVER);
  EXPECT_EQ(SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET, 0u);
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
}

TEST_F(TlsContextTest, ClientCertificateModes) {
  auto tls = options();
  tls.client_certificate = ClientCertificateMode::allow;
  auto allow = TlsContexts::load(tls, false);
  ASSERT_TRUE(allow.ok()) << allow.error();
  EXPECT_EQ(SSL_CTX_get_verify_mode(allow.value()->handshake_context().native_handle()),
            SSL_VERIFY_PEER);
  tls.client_certificate = ClientCertificateMode::require;
  tls.client_ca = certificates_.ca_file();
  auto require = TlsContexts::load(tls, false);
  ASSERT_TRUE(require.ok()) << require.error();
  EXPECT_EQ(SSL_CTX_get_verify_mode(require.value()->handshake_context().native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

TEST_F(TlsContextTest, SummarizesEveryCertificateDefaultFirst) {
  auto dir = certificates_.folder() / "sni";
  std::filesystem::create_directory(dir);
  certificates_.issue("b", {"b.example.test", "*.b.example.test"}, dir);
  auto tls = options();
  tls.certificate_dir = dir;
  auto summaries = check_certificates(tls);
  ASSERT_TRUE(summaries.ok()) << summaries.error();
  ASSERT_EQ(summaries.value().size(), 2u);
  EXPECT_EQ(summaries.value()[0].subject, "CN=leaf.example.test");
  EXPECT_EQ(summaries.value()[1].names,
            (std::vector<std::string>{"b.example.test", "*.b.example.test"}));
  EXPECT_FALSE(summaries.value()[1].expired);
}

TEST_F(TlsContextTest, ErrorsNameTheFile) {
  auto other = certificates_.issue("other", {"other.example.test"});
  auto tls = options();
  tls.key = other.key;
  auto mismatched = check_certificates(tls);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().find("the private key " + other.key.string() + " does not match"),
            std::string::npos)
      << mismatched.error();

  tls = options();
  tls.key = certificates_.encrypt_key(leaf_, "pw");
  auto encrypted = check_certificates(tls);
  ASSERT_FALSE(encrypted.ok());
  EXPECT_EQ(encrypted.error().find(std::string(kKeyIsEncrypted) + ": " + tls.key.string()), 0u)
      << encrypted.error();

  test::write_file(certificates_.folder() / "pw", "wrong\n");
  tls.key_passphrase_file = certificates_.folder() / "pw";
  auto wrong = check_certificates(tls);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().find("cannot decrypt"), std::string::npos) << wrong.error();

  auto lonely = certificates_.folder() / "lonely";
  std::filesystem::create_directory(lonely);
  test::write_file(lonely / "x.pem", "");
  tls = options();
  tls.certificate_dir = lonely;
  auto no_key = check_certificates(tls);
  ASSERT_FALSE(no_key.ok());
  EXPECT_NE(no_key.error().find((lonely / "x.pem").string() + " has no key"), std::string::npos)
      << no_key.error();
}

// The master's check runs in `ancm-host check-certificates`; its answer is the
// same check's.
TEST_F(TlsContextTest, TheCheckInAChildGivesTheSameAnswer) {
  auto check_apart = [](const TlsOptions& tls) {
    return check_certificates_in_child(test::ancm_host_binary(), "/srv/app/web.config", tls);
  };
  auto good = check_apart(options());
  EXPECT_TRUE(good.ok()) << good.error();

  auto other = certificates_.issue("other2", {"other2.example.test"});
  auto tls = options();
  tls.key = other.key;
  auto here = check_certificates(tls);
  auto apart = check_apart(tls);
  ASSERT_FALSE(here.ok());
  ASSERT_FALSE(apart.ok());
  EXPECT_EQ(apart.error(), here.error());
}

// A master whose ancm-host binary is gone refuses the certificates, saying why.
TEST_F(TlsContextTest, TheCheckWithoutItsProgramFailsSayingWhich) {
  auto missing = certificates_.folder() / "no-such-ancm-host";
  auto checked = check_certificates_in_child(missing, "/srv/app/web.config", options());
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().find(missing.string()), std::string::npos) << checked.error();
  EXPECT_NE(checked.error().find("No such file"), std::string::npos) << checked.error();
}

}  // namespace
}  // namespace ancm::server
