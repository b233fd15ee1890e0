// WebSockets over HTTP/2 (RFC 8441's extended CONNECT) through ancm-host:
// .NET's ClientWebSocket (tests/apps/WebSocketClient, HTTP version exact)
// against WebSocketEcho's /ws over h2c with prior knowledge, in both hosting
// models; HTTP/1.1 WebSockets through the same client; an h2c-only child
// (the WebSocket goes on as an extended CONNECT); an unknown :protocol. The client is first checked
// against Kestrel direct, so a failure through ancm-host is ancm-host's.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ancm/outofproc/log_text.h"
#include "app_fixture.h"
#include "client_app.h"
#include "h2_client.h"
#include "host_process.h"
#include "kestrel_direct.h"
#include "published_app.h"
#include "temp_dir.h"
#include "test_certificates.h"

namespace ancm::test {
namespace {

std::string ws_address(uint16_t port) { return "ws://127.0.0.1:" + std::to_string(port) + "/ws"; }

// The one Kestrel setting a Kestrel endpoint needs to speak HTTP/2 on cleartext.
const std::pair<std::string, std::string> kHttp2Only{"Kestrel__EndpointDefaults__Protocols",
                                                     "Http2"};

ClientAppRun run_websocket_client(uint16_t port, const std::string& http_version) {
  return run_client_app("WebSocketClient", {ws_address(port), http_version});
}

H2Request extended_connect(const std::string& protocol) {
  H2Request request;
  request.method = "CONNECT";
  request.path = "/ws";
  request.headers = {{":protocol", protocol}, {"sec-websocket-version", "13"}};
  return request;
}

// The client is right: Kestrel itself serves WebSockets over h2c.
TEST(WebSocketH2KestrelDirectTest, TheClientEchoesOverH2c) {
  TempDir dir("ancm-wsh2-direct");
  install_app("WebSocketEcho", dir.path(), {});
  KestrelDirect kestrel(dir.path(), "WebSocketEcho", {kHttp2Only});
  ASSERT_TRUE(kestrel.wait_until_serving());
  auto run = run_websocket_client(kestrel.port(), "2");
  EXPECT_EQ(run.exit_code, 0) << run.output;
}

class WebSocketH2Test : public PublishedAppTest, public ::testing::WithParamInterface<std::string> {
 protected:
  WebSocketH2Test() : PublishedAppTest("ancm-wsh2") {}

  AspNetCoreEdit edit() const {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    return edit;
  }
};

INSTANTIATE_TEST_SUITE_P(BothModels, WebSocketH2Test,
                         ::testing::Values("inprocess", "outofprocess"));

// In-process: the app's UseWebSockets() through IHttpExtendedConnectFeature.
// Out-of-process (an HTTP/1.1 child): the extended CONNECT goes to the child
// as an HTTP/1.1 Upgrade, its 101 to the client as 200.
TEST_P(WebSocketH2Test, EchoesOverHttp2) {
  auto host = serve("WebSocketEcho", edit());
  ASSERT_TRUE(host->started());
  auto run = run_websocket_client(host->port(), "2");
  EXPECT_EQ(run.exit_code, 0) << run.output << "\n" << host->output();
}

TEST_P(WebSocketH2Test, EchoesOverHttp11AsBefore) {
  auto host = serve("WebSocketEcho", edit());
  ASSERT_TRUE(host->started());
  auto run = run_websocket_client(host->port(), "1.1");
  EXPECT_EQ(run.exit_code, 0) << run.output << "\n" << host->output();
}

// The server carries only "websocket": any other :protocol is answered 501
// before the app sees it, and the connection goes on.
TEST_P(WebSocketH2Test, AnUnknownProtocolIsRefused) {
  auto host = serve("WebSocketEcho", edit());
  ASSERT_TRUE(host->started());
  H2Client client(host->port());
  auto id = client.submit(extended_connect("not-a-protocol"));
  ASSERT_TRUE(client.run_until_closed({id}, std::chrono::seconds(60))) << host->output();
  EXPECT_EQ(client.response(id).status, 501);
  auto next = client.fetch(h2_get("/"), std::chrono::seconds(60));
  ASSERT_TRUE(next) << host->output();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "websocket app");
}

// An app whose Kestrel speaks only HTTP/2 (h2c), out of process: the
// WebSocket goes to it as an extended CONNECT over the host's HTTP/2 session
// (Kestrel's SETTINGS allow it), and the tunnel relays DATA both ways.
class WebSocketH2cChildTest : public ::testing::Test {
 protected:
  WebSocketH2cChildTest() {
    AspNetCoreEdit edit;
    edit.hosting_model = "outofprocess";
    edit.environment = {kHttp2Only};
    install_app("WebSocketEcho", dir_.path(), edit);
    HostOptions options;
    options.target = dir_.path();
    options.extra_args = {"--threads", "1"};  // tunnels without a strand (conformance_test.cpp)
    host_ = std::make_unique<HostProcess>(options);
  }

  // How many /ws handlers of the app still run (its /ws-open), through the host.
  std::string open_websockets() {
    H2Client client(host_->port());
    auto response = client.fetch(h2_get("/ws-open"), std::chrono::seconds(30));
    return response ? response->body : "(no answer)";
  }

  TempDir dir_{"ancm-wsh2-h2c"};
  std::unique_ptr<HostProcess> host_;
};

TEST_F(WebSocketH2cChildTest, EchoesBothWaysAndTheClientsCloseEndsIt) {
  ASSERT_TRUE(host_->started()) << host_->output();
  auto run = run_websocket_client(host_->port(), "2");
  EXPECT_EQ(run.exit_code, 0) << run.output << "\n" << host_->output();
  EXPECT_NE(host_->output().find(outofproc::kChildSpeaksH2c), std::string::npos) << host_->output();
  EXPECT_EQ(host_->output().find(outofproc::kWebSocketOverH2cRefused), std::string::npos)
      << host_->output();
  // The close handshake ended the app's handler: no stream was left open.
  EXPECT_TRUE(eventually([&] { return open_websockets() == "0"; })) << open_websockets();
}

// A client that dies mid-tunnel: the child's stream is reset (CANCEL), so
// its WebSocket handler ends rather than waiting forever.
TEST_F(WebSocketH2cChildTest, AClientKilledMidStreamLeavesNoStreamOpenAtTheChild) {
  ASSERT_TRUE(host_->started()) << host_->output();
  ASSERT_EQ(open_websockets(), "0");
  auto client = std::make_unique<H2Client>(host_->port());
  H2Request request = extended_connect("websocket");
  request.keep_open = true;
  auto id = client->submit(request);
  ASSERT_TRUE(
      client->run_until([&] { return client->response(id).status != 0; }, std::chrono::seconds(60)))
      << host_->output();
  ASSERT_EQ(client->response(id).status, 200) << host_->output();
  ASSERT_TRUE(eventually([&] { return open_websockets() == "1"; })) << open_websockets();
  client.reset();  // the connection closes with the stream open
  EXPECT_TRUE(eventually([&] { return open_websockets() == "0"; }, std::chrono::seconds(20)))
      << open_websockets() << "\n"
      << host_->output();
}

// An extended CONNECT the app does not take as a WebSocket (no endpoint
// there) gets the app's own answer, as an ordinary response, and the
// connection goes on.
TEST_F(WebSocketH2cChildTest, AnExtendedConnectTheAppDoesNotAcceptGetsItsAnswer) {
  ASSERT_TRUE(host_->started()) << host_->output();
  H2Client client(host_->port());
  H2Request request = extended_connect("websocket");
  request.path = "/nowhere";
  auto id = client.submit(request);
  ASSERT_TRUE(client.run_until_closed({id}, std::chrono::seconds(60))) << host_->output();
  EXPECT_EQ(client.response(id).status, 404) << host_->output();
  auto next = client.fetch(h2_get("/"), std::chrono::seconds(60));
  ASSERT_TRUE(next) << host_->output();
  EXPECT_EQ(next->body, "websocket app");
  EXPECT_EQ(open_websockets(), "0");
}

// How the app is reached over TLS: in-process, out-of-process to an HTTP/1.1
// child (the WebSocket goes on as an Upgrade), or to an h2c-only child (as
// an extended CONNECT).
enum class Upstream { InProcess, Http1, H2c };

std::string upstream_name(const ::testing::TestParamInfo<Upstream>& info) {
  switch (info.param) {
    case Upstream::InProcess:
      return "InProcess";
    case Upstream::Http1:
      return "OutOfProcessHttp1";
    case Upstream::H2c:
      return "OutOfProcessH2c";
  }
  return "?";
}

// WebSockets over HTTP/2 over TLS (ALPN h2): the client trusts only the
// test CA, and its handshake must have been HTTP/2 (200, not 101).
class WebSocketTlsFixture : public PublishedAppTest {
 protected:
  WebSocketTlsFixture() : PublishedAppTest("ancm-wss") {
    certificate_ = certificates_.issue("localhost", {"localhost"});
  }

  std::unique_ptr<HostProcess> serve_wss(Upstream upstream) {
    AspNetCoreEdit edit;
    edit.hosting_model = upstream == Upstream::InProcess ? "inprocess" : "outofprocess";
    if (upstream == Upstream::H2c) edit.environment = {kHttp2Only};
    install_app("WebSocketEcho", dir_.path(), edit);
    HostOptions options;
    options.target = dir_.path();
    options.listen = "https://127.0.0.1:0";
    options.extra_args = certificate_.server_args();
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  ClientAppRun run_wss_client(uint16_t port, const std::string& http_version) {
    return run_client_app("WebSocketClient",
                          {"wss://localhost:" + std::to_string(port) + "/ws", http_version, "--ca",
                           certificates_.ca_file().string()});
  }

  TestCertificates certificates_;
  TestCertificate certificate_;
};

class WebSocketTlsTest : public WebSocketTlsFixture,
                         public ::testing::WithParamInterface<Upstream> {};

INSTANTIATE_TEST_SUITE_P(EveryUpstream, WebSocketTlsTest,
                         ::testing::Values(Upstream::InProcess, Upstream::Http1, Upstream::H2c),
                         upstream_name);

TEST_P(WebSocketTlsTest, EchoesOverHttp2WithAlpnH2) {
  auto host = serve_wss(GetParam());
  ASSERT_TRUE(host->started());
  auto run = run_wss_client(host->port(), "2");
  EXPECT_EQ(run.exit_code, 0) << run.output << "\n" << host->output();
  if (GetParam() == Upstream::H2c) {
    EXPECT_NE(host->output().find(outofproc::kChildSpeaksH2c), std::string::npos) << host->output();
  }
}

// The client's trust is real: without the CA it refuses the host's certificate.
TEST_F(WebSocketTlsFixture, TheClientRefusesAnUntrustedCertificate) {
  auto host = serve_wss(Upstream::InProcess);
  ASSERT_TRUE(host->started());
  auto run = run_client_app("WebSocketClient",
                            {"wss://localhost:" + std::to_string(host->port()) + "/ws", "2"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
}

}  // namespace
}  // namespace ancm::test
