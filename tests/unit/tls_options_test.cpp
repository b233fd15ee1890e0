// The TLS command line (run and worker, both ways), https:// listen URLs and
// the SNI name matching, without a socket.
#include <gtest/gtest.h>

#include "ancm/server/command_line.h"
#include "ancm/server/listen_address.h"
#include "tls_context.h"

namespace ancm::server {
namespace {

std::vector<std::string> with_target(std::vector<std::string> args) {
  args.insert(args.begin(), "app");
  return args;
}

TEST(TlsOptions, RunTakesTheTlsFlags) {
  auto parsed = parse_run_arguments(
      with_target({"--listen", "https://127.0.0.1:8443", "--tls-cert", "/c.pem", "--tls-key=/c.key",
                   "--tls-key-passphrase-file", "/p", "--tls-cert-dir", "/certs", "--client-cert",
                   "require", "--tls-client-ca", "/ca.pem"}));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  const auto& tls = parsed.value().tls;
  EXPECT_EQ(tls.certificate, "/c.pem");
  EXPECT_EQ(tls.key, "/c.key");
  EXPECT_EQ(tls.key_passphrase_file, "/p");
  EXPECT_EQ(tls.certificate_dir, "/certs");
  EXPECT_EQ(tls.client_ca, "/ca.pem");
  EXPECT_EQ(tls.client_certificate, ClientCertificateMode::require);
}

TEST(TlsOptions, RefusesWhatCannotWork) {
  auto error_of = [](std::vector<std::string> args) {
    auto parsed = parse_run_arguments(with_target(std::move(args)));
    return parsed.ok() ? std::string() : parsed.error();
  };
  EXPECT_NE(error_of({"--listen", "https://127.0.0.1:1"}).find("--tls-cert FILE"),
            std::string::npos);
  EXPECT_NE(error_of({"--tls-cert", "/c.pem"}).find("--tls-cert and --tls-key go together"),
            std::string::npos);
  EXPECT_NE(error_of({"--client-cert", "require"}).find("need --tls-cert"), std::string::npos);
  EXPECT_NE(error_of({"--tls-cert", "/c", "--tls-key", "/k", "--client-cert", "maybe"})
                .find("none, allow or require, got 'maybe'"),
            std::string::npos);
}

TEST(TlsOptions, TheWorkerGetsWhatTheMasterWasGiven) {
  WorkerOptions options;
  options.target = "app";
  options.control_fd = 9;
  options.listen_fds = {3};
  options.tls_listen_fds = {4, 5};
  options.tls.certificate = "/c.pem";
  options.tls.key = "/c.key";
  options.tls.certificate_dir = "/certs";
  options.tls.client_certificate = ClientCertificateMode::allow;
  auto parsed = parse_worker_arguments(worker_arguments(options));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().listen_fds, std::vector<int>{3});
  EXPECT_EQ(parsed.value().tls_listen_fds, (std::vector<int>{4, 5}));
  EXPECT_EQ(parsed.value().tls.certificate, "/c.pem");
  EXPECT_EQ(parsed.value().tls.key, "/c.key");
  EXPECT_EQ(parsed.value().tls.certificate_dir, "/certs");
  EXPECT_TRUE(parsed.value().tls.key_passphrase_file.empty());
  EXPECT_EQ(parsed.value().tls.client_certificate, ClientCertificateMode::allow);
}

TEST(TlsOptions, HttpsListenUrls) {
  auto parsed = parse_listen_url("https://[::1]:8443/");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_TRUE(parsed.value().tls);
  EXPECT_EQ(parsed.value().host, "::1");
  EXPECT_EQ(parsed.value().url(), "https://[::1]:8443");
  auto plain = parse_listen_url("http://127.0.0.1:80");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain.value().tls);
  EXPECT_FALSE(parse_listen_url("ftp://127.0.0.1:80").ok());
}

TEST(TlsOptions, ServerNamesMatchExactlyOrByOneWildcardLabel) {
  EXPECT_TRUE(server_name_matches("a.example.com", "a.example.com"));
  EXPECT_TRUE(server_name_matches("a.example.com", "A.Example.COM"));
  EXPECT_FALSE(server_name_matches("a.example.com", "b.example.com"));
  EXPECT_TRUE(server_name_matches("*.example.com", "x.example.com"));
  EXPECT_FALSE(server_name_matches("*.example.com", "example.com"));
  EXPECT_FALSE(server_name_matches("*.example.com", "y.x.example.com"));
  EXPECT_FALSE(server_name_matches("*.example.com", ".example.com"));
  EXPECT_FALSE(server_name_matches("*.example.com", "xexample.com"));
}

}  // namespace
}  // namespace ancm::server
