// Out-of-process hosting of apps whose Kestrel endpoint speaks only HTTP/2
// (Kestrel:EndpointDefaults:Protocols=Http2, as `dotnet new grpc` sets it):
// a real ancm-host, the real libancm_outofproc.so and real .NET apps, driven
// by ordinary HTTP/1.1 clients. The proxy finds out what the child speaks and
// sends every request over HTTP/2; the same apps without the setting are
// still served over the HTTP/1.1 pool.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "ancm/outofproc/log_text.h"
#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// The configuration key Kestrel reads (appsettings.json's
// "Kestrel": {"EndpointDefaults": {"Protocols": "Http2"}}), set through the
// environment web.config gives the child.
const std::pair<std::string, std::string> kHttp2Only{"Kestrel__EndpointDefaults__Protocols",
                                                     "Http2"};

AspNetCoreEdit http2_only() {
  AspNetCoreEdit edit;
  edit.environment = {kHttp2Only};
  return edit;
}

std::string json_field(const std::string& json, const std::string& name) {
  std::smatch match;
  std::regex field("\"" + name + "\":(\"([^\"]*)\"|([0-9]+))");
  if (!std::regex_search(json, match, field)) return "";
  return match[2].matched ? match[2].str() : match[3].str();
}

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

class OutOfProcessH2Test : public PublishedAppTest {
 protected:
  OutOfProcessH2Test() : PublishedAppTest("ancm-oop-h2") {}
};

TEST_F(OutOfProcessH2Test, TheAppSeesAnHttp2RequestWithTheForwardedHeadersAndToken) {
  auto host = serve("PrintsEnv", http2_only());
  HttpConnection connection(host->port());
  connection.send(get_request("/",
                              "X-Forwarded-For: 10.1.2.3\r\nConnection: keep-alive, X-Hop\r\n"
                              "X-Hop: dropped\r\nMS-ASPNETCORE-TOKEN: forged\r\n"));
  auto response = connection.read_response(60s);
  ASSERT_TRUE(response) << host->output();
  // The app checks the token (a forged or missing one is 400).
  ASSERT_EQ(response->status, 200) << response->body << host->output();
  EXPECT_EQ(json_field(response->body, "protocol"), "HTTP/2") << response->body;
  EXPECT_EQ(json_field(response->body, "scheme"), "http") << response->body;
  EXPECT_EQ(json_field(response->body, "host"), "test") << response->body;
  EXPECT_EQ(json_field(response->body, "remoteIp"), "127.0.0.1") << response->body;
  EXPECT_EQ(json_field(response->body, "remotePort"), std::to_string(connection.local_port()))
      << response->body;
  EXPECT_EQ(response->body.find("X-Hop"), std::string::npos) << response->body;
  EXPECT_NE(host->output().find(std::string(outofproc::kChildSpeaksH2c)), std::string::npos)
      << host->output();
  // Keep-alive: the client connection serves a second request.
  connection.send(get_request("/pid"));
  auto second = connection.read_response(30s);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
}

TEST_F(OutOfProcessH2Test, WithoutTheSettingTheChildIsServedOverHttp1) {
  auto host = serve("PrintsEnv");
  auto response = get(*host, "/");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json_field(response.body, "protocol"), "HTTP/1.1") << response.body;
  EXPECT_NE(host->output().find(std::string(outofproc::kChildSpeaksHttp1)), std::string::npos)
      << host->output();
  EXPECT_EQ(host->output().find(std::string(outofproc::kChildSpeaksH2c)), std::string::npos);
}

TEST_F(OutOfProcessH2Test, EchoesAMebibyteBothFixedAndChunked) {
  auto host = serve("EchoBody", http2_only());
  auto body = random_bytes(1024 * 1024);
  auto fixed = exchange(host->port(), fixed_length_post("/echo", body));
  ASSERT_TRUE(fixed) << host->output();
  EXPECT_EQ(fixed->status, 200);
  EXPECT_EQ(fixed->body.size(), body.size());
  EXPECT_TRUE(fixed->body == body);
  auto chunked = exchange(host->port(), chunked_post("/echo", body, 65'000));
  ASSERT_TRUE(chunked) << host->output();
  EXPECT_EQ(chunked->status, 200);
  EXPECT_TRUE(chunked->body == body);
  EXPECT_NE(host->output().find(std::string(outofproc::kChildSpeaksH2c)), std::string::npos);
}

TEST_F(OutOfProcessH2Test, StreamsAResponseAsTheAppFlushesIt) {
  auto host = serve("EchoBody", http2_only());
  ASSERT_EQ(get(*host, "/").status, 200) << host->output();
  // The head and each piece come while the app holds the rest back: the
  // events wait for a release only a second request can give.
  HttpConnection events(host->port());
  events.send(get_request("/events?key=h2"));
  auto head = events.read_until("\r\n\r\n", 30s);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_NE(head.find("text/event-stream"), std::string::npos) << head;
  EXPECT_EQ(get(*host, "/release?key=h2").body, "released\n");
  auto rest = events.read_until("data: released", 30s);
  EXPECT_NE(rest.find("data: released"), std::string::npos) << rest;
  auto pieces = get(*host, "/stream?chunks=3&ms=0");
  EXPECT_NE(pieces.body.find("piece 3"), std::string::npos) << pieces.body;
}

TEST_F(OutOfProcessH2Test, ServesAHundredConcurrentRequests) {
  auto host = serve("PrintsEnv", http2_only());
  ASSERT_EQ(get(*host, "/pid").status, 200) << host->output();
  std::vector<std::unique_ptr<HttpConnection>> connections;
  for (int i = 0; i < 100; ++i) {
    connections.push_back(std::make_unique<HttpConnection>(host->port()));
    connections.back()->send(get_request("/"));
  }
  int ok = 0;
  for (auto& connection : connections) {
    auto response = connection->read_response(60s);
    if (response && response->status == 200 && json_field(response->body, "protocol") == "HTTP/2") {
      ++ok;
    }
  }
  EXPECT_EQ(ok, 100) << host->output();
}

TEST_F(OutOfProcessH2Test, AChildThatDiesMidRequestIs502AndTheNextRequestRecovers) {
  auto host = serve("CrashOnRequest", http2_only());
  ASSERT_EQ(get(*host, "/").body, "alive") << host->output();
  auto crashed = get(*host, "/crash");
  EXPECT_EQ(crashed.status, 502) << crashed.body;
  EXPECT_TRUE(eventually([&] { return get(*host, "/").body == "alive"; }, 60s)) << host->output();
  // The new child was asked again what it speaks.
  EXPECT_EQ(count_of(host->output(), outofproc::kChildSpeaksH2c), 2u) << host->output();
}

TEST_F(OutOfProcessH2Test, AChildKilledWhileStreamingCutsTheResponseShort) {
  auto host = serve("EchoBody", http2_only());
  ASSERT_EQ(get(*host, "/").status, 200) << host->output();
  HttpConnection events(host->port());
  events.send(get_request("/events?key=killed"));
  auto head = events.read_until("\r\n\r\n", 30s);
  ASSERT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  std::smatch match;
  std::string output = host->output();
  ASSERT_TRUE(std::regex_search(output, match, std::regex("started process ([0-9]+)")));
  ASSERT_EQ(::kill(std::stoi(match[1].str()), SIGKILL), 0);
  EXPECT_TRUE(events.closed_by_peer(30s));
  EXPECT_TRUE(eventually([&] { return get(*host, "/").status == 200; }, 60s)) << host->output();
}

TEST_F(OutOfProcessH2Test, RequestTimeoutBeforeTheHeadIs502_3) {
  AspNetCoreEdit edit = http2_only();
  edit.extra_attributes = R"(requestTimeout="00:00:02")";
  auto host = serve("SlowResponse", edit);
  ASSERT_EQ(get(*host, "/").status, 200) << host->output();
  // The app would answer after a minute: a 502.3 at all means the timeout cut it.
  auto response = get(*host, "/slow?ms=60000");
  EXPECT_EQ(response.status, 502);
  EXPECT_NE(response.body.find("HTTP Error 502.3"), std::string::npos) << response.body;
  // The child is fine: the next request is served.
  EXPECT_EQ(get(*host, "/slow?ms=0").body, "slow done");
}

// The client leaving resets the child's stream (CANCEL): Kestrel aborts the
// request, and the app's wait ends.
TEST_F(OutOfProcessH2Test, AClientThatLeavesCancelsTheChildsStream) {
  auto host = serve("SlowResponse", http2_only());
  ASSERT_EQ(get(*host, "/in-flight").body, "0") << host->output();
  {
    HttpConnection leaving(host->port());
    leaving.send(get_request("/slow-abortable?ms=60000"));
    ASSERT_TRUE(eventually([&] { return get(*host, "/in-flight").body == "1"; }, 30s));
  }
  EXPECT_TRUE(eventually([&] { return get(*host, "/in-flight").body == "0"; }, 30s));
}

// HTTP/2 has no 101: an upgrade goes to the child as a plain request, and
// the app answers it as one (its WebSocket endpoint refuses it with 400).
TEST_F(OutOfProcessH2Test, AnUpgradeReachesTheChildAsAPlainRequest) {
  auto host = serve("WebSocketEcho", http2_only());
  HttpConnection connection(host->port());
  connection.send(websocket_upgrade("/ws"));
  auto response = connection.read_response(60s);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->status, 400) << response->body;
}

}  // namespace
}  // namespace ancm::test
