// A real .NET app behind https:// in both hostingModels (InProcessProbe): the
// app sees the request as https (in-process: Request.IsHttps from is_tls;
// out-of-process: X-Forwarded-Proto: https from the proxy).
#include <gtest/gtest.h>

#include "app_fixture.h"
#include "test_certificates.h"
#include "tls_client.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

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
    options.extra_args = {"--tls-cert", certificate_.certificate.string(), "--tls-key",
                          certificate_.key.string()};
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

}  // namespace
}  // namespace ancm::test
