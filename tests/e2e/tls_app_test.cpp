// A real .NET app behind https:// in both hostingModels (InProcessProbe): the
// app sees the request as https (in-process: Request.IsHttps from is_tls;
// out-of-process: X-Forwarded-Proto: https from the proxy), and the client's
// certificate as Connection.ClientCertificate (in-process: tls_info;
// out-of-process: MS-ASPNETCORE-CLIENTCERT, over HTTP/1.1 and to an h2c child).
#include <gtest/gtest.h>

#include "app_fixture.h"
#include "test_certificates.h"
#include "tls_client.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// Kestrel's setting for an HTTP/2-only (h2c) endpoint, as outofproc_h2_test sets it.
const std::pair<std::string, std::string> kHttp2Only{"Kestrel__EndpointDefaults__Protocols",
                                                     "Http2"};

class TlsAppTest : public PublishedAppTest, public ::testing::WithParamInterface<std::string> {
 protected:
  TlsAppTest() : PublishedAppTest("ancm-tls-app") {
    certificate_ = certificates_.issue("app.example.test", {"app.example.test"});
  }

  std::unique_ptr<HostProcess> serve_https() {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    install_app("InProcessProbe", dir_.path(), edit);
    HostOptions options;
    options.target = dir_.path();
    options.listen = "https://127.0.0.1:0";
    options.extra_args = certificate_.server_args();
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  std::optional<HttpResponse> get(const HostProcess& host, const std::string& target) {
    TlsClientOptions options;
    options.ca_file = certificates_.ca_file();
    options.server_name = "app.example.test";
    return https_get(host.port(), target, options);
  }

  TestCertificates certificates_;
  TestCertificate certificate_;
};

TEST_P(TlsAppTest, TheAppSeesHttps) {
  auto host = serve_https();
  ASSERT_TRUE(eventually([&] { return get(*host, "/").has_value(); }, 60s)) << host->output();
  auto response = get(*host, "/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "in-process probe");
  auto request = get(*host, "/request");
  ASSERT_TRUE(request) << host->output();
  EXPECT_NE(request->body.find("scheme: https\n"), std::string::npos) << request->body;
  EXPECT_NE(request->body.find("header Host: app.example.test\n"), std::string::npos)
      << request->body;
  // Out of process the app's IIS integration took the scheme from the
  // proxy's X-Forwarded-Proto: https, and keeps what Kestrel itself saw.
  if (GetParam() == "outofprocess") {
    EXPECT_NE(request->body.find("header X-Original-Proto: http\n"), std::string::npos)
        << request->body;
  }
}

INSTANTIATE_TEST_SUITE_P(BothModels, TlsAppTest, ::testing::Values("inprocess", "outofprocess"));

// How the app is reached: in-process, out-of-process over the HTTP/1.1 pool,
// or out-of-process to a child that speaks only h2c.
enum class Upstream { InProcess, Http1, H2c };

std::string_view name(Upstream upstream) {
  switch (upstream) {
    case Upstream::InProcess:
      return "InProcess";
    case Upstream::Http1:
      return "OutOfProcessHttp1";
    case Upstream::H2c:
      return "OutOfProcessH2c";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, Upstream upstream) { return out << name(upstream); }

std::string upstream_name(const ::testing::TestParamInfo<Upstream>& info) {
  return std::string(name(info.param));
}

// The base64 of a certificate's DER: its PEM file's body.
std::string der_base64(const std::filesystem::path& pem) {
  std::string text = read_file(pem), base64;
  auto begin = text.find('\n') + 1;
  auto end = text.find("-----END");
  for (char c : text.substr(begin, end - begin)) {
    if (c != '\n' && c != '\r') base64 += c;
  }
  return base64;
}

class ClientCertificateAppTest : public PublishedAppTest,
                                 public ::testing::WithParamInterface<Upstream> {
 protected:
  ClientCertificateAppTest() : PublishedAppTest("ancm-tls-client-cert") {
    server_ = certificates_.issue("app.example.test", {"app.example.test"});
    client_ = certificates_.issue("client", {"client.example.test"});
    forged_ = certificates_.issue("forged", {"forged.example.test"});
  }

  std::unique_ptr<HostProcess> serve_https() {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam() == Upstream::InProcess ? "inprocess" : "outofprocess";
    if (GetParam() == Upstream::H2c) edit.environment = {kHttp2Only};
    install_app("InProcessProbe", dir_.path(), edit);
    HostOptions options;
    options.target = dir_.path();
    options.listen = "https://127.0.0.1:0";
    options.extra_args = {"--tls-cert",      server_.certificate.string(),
                          "--tls-key",       server_.key.string(),
                          "--client-cert",   "allow",
                          "--tls-client-ca", certificates_.ca_file().string()};
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  TlsClientOptions client(bool with_certificate) const {
    TlsClientOptions options;
    options.ca_file = certificates_.ca_file();
    options.server_name = "app.example.test";
    if (with_certificate) {
      options.certificate = client_.certificate;
      options.key = client_.key;
    }
    return options;
  }

  // GET /clientcert on a new connection, with the extra header fields.
  std::optional<HttpResponse> client_certificate_seen(const HostProcess& host,
                                                      bool with_certificate,
                                                      const std::string& fields = "") {
    TlsConnection connection(host.port(), client(with_certificate));
    if (!connection.connected()) return std::nullopt;
    connection.send("GET /clientcert HTTP/1.1\r\nHost: app.example.test\r\n" + fields +
                    "Connection: close\r\n\r\n");
    return connection.read_response(60s);
  }

  TestCertificates certificates_;
  TestCertificate server_, client_, forged_;
};

TEST_P(ClientCertificateAppTest, TheAppSeesTheClientCertificateAndNeverAForgedOne) {
  auto host = serve_https();
  ASSERT_TRUE(eventually([&] { return client_certificate_seen(*host, false).has_value(); }, 60s))
      << host->output();
  auto with = client_certificate_seen(*host, true);
  ASSERT_TRUE(with) << host->output();
  EXPECT_EQ(with->status, 200) << with->body << host->output();
  EXPECT_EQ(with->body, "CN=client.example.test") << host->output();

  auto without = client_certificate_seen(*host, false);
  ASSERT_TRUE(without) << host->output();
  EXPECT_EQ(without->body, "none");

  // A client that sends the field itself (a real certificate's base64, which
  // IIS integration would take) is not believed, with or without its own.
  std::string forged = "MS-ASPNETCORE-CLIENTCERT: " + der_base64(forged_.certificate) + "\r\n";
  auto forged_alone = client_certificate_seen(*host, false, forged);
  ASSERT_TRUE(forged_alone) << host->output();
  EXPECT_EQ(forged_alone->status, 200) << forged_alone->body;
  EXPECT_EQ(forged_alone->body, "none");
  auto forged_with = client_certificate_seen(*host, true, forged);
  ASSERT_TRUE(forged_with) << host->output();
  EXPECT_EQ(forged_with->body, "CN=client.example.test");
}

// curl over HTTP/2 (ALPN h2) with --cert/--key: the certificate reaches the
// app from an HTTP/2 stream of the front end too.
TEST_P(ClientCertificateAppTest, CurlOverHttp2WithACertificate) {
  auto host = serve_https();
  ASSERT_TRUE(eventually([&] { return client_certificate_seen(*host, false).has_value(); }, 60s))
      << host->output();
  TempDir out("ancm-tls-client-cert-curl");
  std::string port = std::to_string(host->port());
  std::string command = "curl -sS --http2 --cacert " + certificates_.ca_file().string() +
                        " --cert " + client_.certificate.string() + " --key " +
                        client_.key.string() + " --resolve app.example.test:" + port +
                        ":127.0.0.1 -w '%{http_version}' -o " + (out / "body").string() +
                        " https://app.example.test:" + port + "/clientcert >" +
                        (out / "version").string() + " 2>" + (out / "err").string();
  int status = std::system(command.c_str());
  ASSERT_EQ(WEXITSTATUS(status), 0) << read_file(out / "err");
  EXPECT_EQ(read_file(out / "version"), "2");
  EXPECT_EQ(read_file(out / "body"), "CN=client.example.test") << host->output();
}

INSTANTIATE_TEST_SUITE_P(EachUpstream, ClientCertificateAppTest,
                         ::testing::Values(Upstream::InProcess, Upstream::Http1, Upstream::H2c),
                         upstream_name);

}  // namespace
}  // namespace ancm::test
