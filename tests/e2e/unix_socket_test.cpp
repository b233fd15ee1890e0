// unix: listeners with real apps in both hostingModels: HTTP/1.1 and h2c
// (curl --unix-socket), the peer the app sees, WebSockets, and the addresses
// an in-process app lists. The listener itself (mode, stale and live files,
// removal, TLS, recycles) is tested with the test handler in listen_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "app_fixture.h"
#include "command_output.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// ------------------------------------------------------------ real apps

class UnixSocketAppTest : public PublishedAppTest,
                          public ::testing::WithParamInterface<std::string> {
 protected:
  UnixSocketAppTest() : PublishedAppTest("ancm-unix-app") {}

  std::unique_ptr<HostProcess> serve_on_socket(const std::string& app) {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    install_app(app, dir_.path(), edit);
    HostOptions options;
    options.target = dir_.path();
    options.listen = "http://unix:" + socket_.string();
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }
  bool in_process() const { return GetParam() == "inprocess"; }

  TempDir sockets_{"ancm-unix"};
  std::filesystem::path socket_ = sockets_ / "app.sock";
};

INSTANTIATE_TEST_SUITE_P(BothModels, UnixSocketAppTest,
                         ::testing::Values("inprocess", "outofprocess"));

TEST_P(UnixSocketAppTest, ServesHttp11AndH2c) {
  auto host = serve_on_socket("InProcessProbe");
  auto http1 = curl_unix_socket(socket_, "http://localhost/request");
  EXPECT_NE(http1.find("|200|1.1"), std::string::npos) << http1 << host->output();
  EXPECT_NE(http1.find("protocol: HTTP/1.1"), std::string::npos) << http1;
  auto h2c = curl_unix_socket(socket_, "http://localhost/request", "--http2-prior-knowledge");
  EXPECT_NE(h2c.find("|200|2"), std::string::npos) << h2c << host->output();
}

// In-process the app sees no address, as on Kestrel; out-of-process the
// child's Kestrel sees the proxy, and no X-Forwarded-For is made up.
TEST_P(UnixSocketAppTest, ThePeerIsNoIpAddress) {
  auto host = serve_on_socket("InProcessProbe");
  auto seen = curl_unix_socket(socket_, "http://localhost/request");
  ASSERT_NE(seen.find("|200|"), std::string::npos) << seen << host->output();
  if (in_process()) {
    EXPECT_NE(seen.find("remote: :0\n"), std::string::npos) << seen;
    EXPECT_NE(seen.find("local: :0\n"), std::string::npos) << seen;
  } else {
    // The proxy's loopback connection, as no X-Forwarded-For entry came.
    EXPECT_NE(seen.find("remote: 127.0.0.1:"), std::string::npos) << seen;
    EXPECT_EQ(seen.find("X-Forwarded-For"), std::string::npos) << seen;
  }
  // What a front proxy wrote reaches the app as it was; out-of-process it is
  // the last entry, which the child's forwarded-headers middleware believes.
  auto proxied =
      curl_unix_socket(socket_, "http://localhost/request", "-H 'X-Forwarded-For: 203.0.113.9'");
  EXPECT_NE(proxied.find("203.0.113.9"), std::string::npos) << proxied;
  if (!in_process()) {
    EXPECT_NE(proxied.find("remote: 203.0.113.9:"), std::string::npos) << proxied;
  }
}

TEST_P(UnixSocketAppTest, WebSocketsEcho) {
  auto host = serve_on_socket("WebSocketEcho");
  ASSERT_NE(curl_unix_socket(socket_, "http://localhost/").find("|200|"), std::string::npos)
      << host->output();
  HttpConnection connection(UnixSocket{socket_});
  ASSERT_TRUE(connection.connected());
  connection.send(websocket_upgrade("/ws"));
  auto head = connection.read_raw(2s);
  ASSERT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
  connection.send(websocket_text_frame("over a unix socket"));
  auto frame = connection.read_raw(2s);
  ASSERT_GE(frame.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(frame[0]), 0x81);
  EXPECT_EQ(frame.substr(2), "over a unix socket");
}

// IServerAddressesFeature lists Kestrel's form, so "Now listening on:" is true.
TEST(UnixSocketInProcess, TheAppListsTheUnixAddress) {
  TempDir dir("ancm-unix-app");
  TempDir sockets("ancm-unix");
  auto socket = sockets / "app.sock";
  AspNetCoreEdit edit;
  edit.hosting_model = "inprocess";
  install_app("ServerFeatures", dir.path(), edit);
  HostOptions options;
  options.target = dir.path();
  options.listen = "http://unix:" + socket.string();
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  auto addresses = curl_unix_socket(socket, "http://localhost/addresses");
  EXPECT_EQ(addresses, "http://unix:" + socket.string() + "|200|1.1") << host.output();
  // The app's own start-up line (its console log reaches the host's output).
  EXPECT_TRUE(host.wait_for_output("Now listening on: http://unix:" + socket.string(), 10s))
      << host.output();
  auto remote = curl_unix_socket(socket, "http://localhost/var/REMOTE_ADDR");
  EXPECT_NE(remote.find("|404|"), std::string::npos) << remote;  // null, as there is no IP
}

}  // namespace
}  // namespace ancm::test
