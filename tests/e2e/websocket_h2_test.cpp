// WebSockets over HTTP/2 (RFC 8441's extended CONNECT) through ancm-host:
// .NET's ClientWebSocket (tests/apps/WebSocketClient, HTTP version exact)
// against WebSocketEcho's /ws over h2c with prior knowledge, in both hosting
// models; HTTP/1.1 WebSockets through the same client; what an h2c-only
// child and an unknown :protocol get. The client is first checked against
// Kestrel direct, so a failure through ancm-host is ancm-host's.
#include <gtest/gtest.h>

#include <string>

#include "ancm/outofproc/log_text.h"
#include "app_fixture.h"
#include "client_app.h"
#include "h2_client.h"
#include "host_process.h"
#include "kestrel_direct.h"
#include "published_app.h"
#include "temp_dir.h"

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

// An app whose Kestrel speaks only HTTP/2: the HTTP/2 upstream does not carry
// extended CONNECT, so the WebSocket is refused with a clear 501; HTTP/1.1
// WebSockets to it are not possible either (it has no HTTP/1.1).
TEST(WebSocketH2OutOfProcessTest, AnH2cOnlyChildGetsA501) {
  TempDir dir("ancm-wsh2-h2c");
  AspNetCoreEdit edit;
  edit.hosting_model = "outofprocess";
  edit.environment = {kHttp2Only};
  install_app("WebSocketEcho", dir.path(), edit);
  HostOptions options;
  options.target = dir.path();
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  H2Client client(host.port());
  auto id = client.submit(extended_connect("websocket"));
  ASSERT_TRUE(client.run_until_closed({id}, std::chrono::seconds(60))) << host.output();
  EXPECT_EQ(client.response(id).status, 501) << client.response(id).body;
  EXPECT_TRUE(eventually([&] {
    return host.output().find(outofproc::kWebSocketOverH2cRefused) != std::string::npos;
  })) << host.output();
}

}  // namespace
}  // namespace ancm::test
