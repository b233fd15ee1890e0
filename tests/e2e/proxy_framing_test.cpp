// The out-of-process proxy cannot be desynced, end to end: a real ancm-host,
// the real libancm_outofproc.so and the RequestMirror app's Kestrel. The app
// lists every request it ran (/seen) and names the Kestrel connection behind
// each answer (X-Upstream-Connection), so the tests see whether a request
// was smuggled and whether the proxy reused an upstream connection it must
// not.
#include <gtest/gtest.h>

#include <string>

#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

class ProxyFramingTest : public PublishedAppTest {
 protected:
  ProxyFramingTest() : PublishedAppTest("ancm-proxy-framing") {}

  // Serves RequestMirror out of process, its child started.
  std::unique_ptr<HostProcess> serve_mirror() {
    auto host = serve("RequestMirror");
    EXPECT_EQ(get(*host, "/started").status, 200) << host->output();
    return host;
  }

  // One request on a fresh client connection.
  std::optional<HttpResponse> send_alone(const HostProcess& host, const std::string& request,
                                         bool head_request = false) {
    HttpConnection connection(host.port());
    connection.send(request);
    auto response = connection.read_response(60s, head_request);
    EXPECT_TRUE(response) << "no response to:\n" << request << "\n" << host.output();
    return response;
  }

  // The requests the app ran, one "METHOD raw-target" per line.
  std::string seen(const HostProcess& host) { return get(host, "/seen").body; }
};

// The reproduction. The upgrade request's 28-byte body is never read
// by /ignore-body; the second request's first header line starts exactly 28
// bytes into the head the proxy forwards ("GET /abcdefg HTTP/1.1\r\nX-A: "),
// so a child still waiting for those 28 bytes would run GET /smuggled with
// the real MS-ASPNETCORE-TOKEN. Whether the front end refuses the first
// request (400) or the proxy forwards it, the smuggled one never runs and
// the second client gets the answer to its own request.
TEST_F(ProxyFramingTest, TheSmuggledRequestNeverRuns) {
  auto host = serve_mirror();
  HttpConnection attacker(host->port());
  attacker.send(
      "GET /ignore-body HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: foo\r\n"
      "Content-Length: 28\r\n\r\n" +
      std::string(28, 'b'));
  ASSERT_TRUE(attacker.read_response(60s)) << host->output();

  auto own = send_alone(
      *host, "GET /abcdefg HTTP/1.1\r\nX-A: GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 200) << own->body;
  EXPECT_NE(own->body.find("raw-target: /abcdefg\n"), std::string::npos) << own->body;

  auto ran = seen(*host);
  EXPECT_EQ(ran.find("/smuggled"), std::string::npos) << ran;
  EXPECT_NE(ran.find("GET /abcdefg\n"), std::string::npos) << ran;
}

// Kestrel declines an upgrade nobody in the app accepts and answers as
// usual; that upstream connection is then closed, not pooled, and the next
// client is served on a fresh one.
TEST_F(ProxyFramingTest, ARefusedUpgradeIsNotReused) {
  auto host = serve_mirror();
  auto refused = send_alone(
      *host, "GET /refused HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 200) << refused->body;
  EXPECT_NE(refused->body.find("header: Upgrade: foo\n"), std::string::npos) << refused->body;

  auto next = send_alone(*host, get_request("/after"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200) << next->body;
  EXPECT_NE(next->body.find("raw-target: /after\n"), std::string::npos) << next->body;
  EXPECT_FALSE(next->header("x-upstream-connection").empty());
  EXPECT_NE(next->header("x-upstream-connection"), refused->header("x-upstream-connection"));
}

// Kestrel has no h2c: the request is served as a plain POST with its body,
// instead of hanging until requestTimeout for a body that never came.
TEST_F(ProxyFramingTest, PostWithAnH2cUpgradeIsServedWithItsBody) {
  auto host = serve_mirror();
  auto response = send_alone(*host,
                             "POST /h2c HTTP/1.1\r\nHost: test\r\n"
                             "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                             "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
                             "Content-Length: 5\r\n\r\nhello");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_NE(response->body.find("body: hello\n"), std::string::npos) << response->body;
  for (const char* gone : {"header: Upgrade:", "header: HTTP2-Settings:", "header: Connection:"}) {
    EXPECT_EQ(response->body.find(gone), std::string::npos) << gone << "\n" << response->body;
  }
}

// The app answers while most of the body is still to come: the proxy stops
// relaying it and closes that upstream connection, so nothing of the rest
// can be read by Kestrel as a request, and the next request goes elsewhere.
TEST_F(ProxyFramingTest, AnEarlyResponseEndsItsUpstreamConnection) {
  auto host = serve_mirror();
  HttpConnection uploader(host->port());
  uploader.send("POST /ignore-body HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n" +
                std::string(1000, 'b'));
  auto early = uploader.read_response(60s);
  ASSERT_TRUE(early) << host->output();
  EXPECT_EQ(early->status, 200);
  EXPECT_EQ(early->body, "ignored\n");
  uploader.send("GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n" + std::string(1000, 'b'));

  auto next = send_alone(*host, get_request("/after"));
  ASSERT_TRUE(next);
  EXPECT_NE(next->body.find("raw-target: /after\n"), std::string::npos) << next->body;
  EXPECT_FALSE(next->header("x-upstream-connection").empty());
  EXPECT_NE(next->header("x-upstream-connection"), early->header("x-upstream-connection"));
  auto ran = seen(*host);
  EXPECT_EQ(ran.find("/smuggled"), std::string::npos) << ran;
}

// RFC 9110 §8.6: a HEAD response carries the Content-Length the app gave.
TEST_F(ProxyFramingTest, HeadKeepsTheAppsContentLength) {
  auto host = serve_mirror();
  auto head = send_alone(*host, "HEAD /sized?length=26 HTTP/1.1\r\nHost: test\r\n\r\n",
                         /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "26");
  EXPECT_TRUE(head->body.empty()) << head->body;

  auto get_response = get(*host, "/sized?length=26");
  EXPECT_EQ(get_response.header("content-length"), "26");
  EXPECT_EQ(get_response.body, std::string(26, 'x'));
}

}  // namespace
}  // namespace ancm::test
