// Hostile request heads and bodies against a real ancm-host and a real app,
// in both hosting models: each is answered with the status Kestrel gives (or
// the safer one RFC 9112 allows), the connection closes, and nothing of it,
// nor anything smuggled behind it, ever runs in the app.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "ancm/outofproc/log_text.h"
#include "app_fixture.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// Sent after every hostile head: if the front end read the head's body as
// the next request, the app would run this.
constexpr const char* kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

struct Hostile {
  const char* what;
  std::string bytes;
  int status;
};

std::string head(const std::string& request_line, const std::string& fields) {
  return request_line + "\r\n" + fields + "\r\n";
}

// n small field lines: a head well under the byte limit.
std::string many_fields(int n) {
  std::string lines;
  for (int i = 0; i < n; ++i) lines += "X-" + std::to_string(i) + ": v\r\n";
  return lines;
}

// Heads that must never reach the app. Each carries "/hostile" in its target
// (where it has one) and is followed by the smuggled request.
std::vector<Hostile> hostile_heads() {
  const std::string post = "POST /hostile HTTP/1.1";
  const std::string body = std::string("5\r\nhello\r\n0\r\n\r\n") + kSmuggled;
  return {
      {"Transfer-Encoding: identity",
       head(post, "Host: a\r\nTransfer-Encoding: identity\r\n") + body, 400},
      {"Transfer-Encoding: gzip", head(post, "Host: a\r\nTransfer-Encoding: gzip\r\n") + body, 400},
      {"chunked, identity",
       head(post, "Host: a\r\nTransfer-Encoding: chunked, identity\r\n") + body, 400},
      {"chunked, chunked", head(post, "Host: a\r\nTransfer-Encoding: chunked, chunked\r\n") + body,
       400},
      {"unknown coding before chunked",
       head(post, "Host: a\r\nTransfer-Encoding: foo, chunked\r\n") + body, 501},
      {"Transfer-Encoding on an obs-fold line",
       head(post, "Host: a\r\nX-Folded: a\r\n Transfer-Encoding: chunked\r\n") + body, 400},
      {"obs-fold", head(post, "Host: a\r\nX-Folded: a\r\n\tb\r\n") + body, 400},
      {"space before the colon", head(post, "Host: a\r\nTransfer-Encoding : chunked\r\n") + body,
       400},
      {"Content-Length: 5, 5",
       head(post, "Host: a\r\nContent-Length: 5, 5\r\n") + "hello" + kSmuggled, 400},
      {"two Content-Lengths",
       head(post, "Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n") + "hello" + kSmuggled,
       400},
      {"Content-Length and Transfer-Encoding",
       head(post, "Host: a\r\nContent-Length: 35\r\nTransfer-Encoding: chunked\r\n") + body, 400},
      {"chunked in HTTP/1.0",
       head("POST /hostile HTTP/1.0", "Host: a\r\nTransfer-Encoding: chunked\r\n") + body, 400},
      {"two Host fields", head("GET /hostile HTTP/1.1", "Host: a\r\nHost: b\r\n") + kSmuggled, 400},
      {"no Host", head("GET /hostile HTTP/1.1", "X-A: b\r\n") + kSmuggled, 400},
      {"absolute-form disagreeing with Host",
       head("GET http://other/hostile HTTP/1.1", "Host: a\r\n") + kSmuggled, 400},
      {"CONNECT", head("CONNECT a:443 HTTP/1.1", "Host: a:443\r\n") + kSmuggled, 405},
      {"target without a leading slash", head("GET hostile HTTP/1.1", "Host: a\r\n") + kSmuggled,
       400},
      {"HTTP/1.2", head("GET /hostile HTTP/1.2", "Host: a\r\n") + kSmuggled, 505},
      {"HTTP/2.0", head("GET /hostile HTTP/2.0", "Host: a\r\n") + kSmuggled, 505},
      {"line feed without carriage return",
       "GET /hostile HTTP/1.1\nHost: a\n\n" + std::string(kSmuggled), 400},
      {"NUL in a field value",
       head("GET /hostile HTTP/1.1", std::string("Host: a\r\nX-A: a\0b\r\n", 20)) + kSmuggled, 400},
      {"request-target too long",
       head("GET /hostile" + std::string(9000, 'a') + " HTTP/1.1", "Host: a\r\n"), 414},
      {"header section too large",
       head("GET /hostile HTTP/1.1", "Host: a\r\nX-Big: " + std::string(40'000, 'b') + "\r\n"),
       431},
      {"more header fields than Kestrel's 100",
       head("GET /hostile HTTP/1.1", "Host: a\r\n" + many_fields(100)) + kSmuggled, 431},
  };
}

// Chunked bodies that break the framing after the app has started reading.
std::vector<Hostile> hostile_chunked_bodies() {
  auto post = [](const std::string& chunks) {
    return head("POST /mirror HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n") + chunks +
           kSmuggled;
  };
  return {
      {"chunk size overflow", post("fffffffffffffffff1\r\nx\r\n0\r\n\r\n"), 400},
      {"negative chunk size", post("-1\r\nx\r\n0\r\n\r\n"), 400},
      {"0x chunk size", post("0x5\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk size with a space inside", post("5 5\r\nhello\r\n0\r\n\r\n"), 400},
      {"malformed chunk extension", post("5;=\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk data longer than its size", post("3\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk data without CRLF", post("5\r\nhelloX\r\n0\r\n\r\n"), 400},
      {"line feed after a chunk size", post("5\nhello\r\n0\r\n\r\n"), 400},
  };
}

class HostileInputTest : public PublishedAppTest,
                         public ::testing::WithParamInterface<const char*> {
 protected:
  HostileInputTest() : PublishedAppTest("ancm-hostile") {}

  std::unique_ptr<HostProcess> serve_mirror(std::vector<std::string> extra_args = {}) {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    auto host = serve("RequestMirror", edit, {}, std::move(extra_args));
    EXPECT_EQ(get(*host, "/started").status, 200) << host->output();
    return host;
  }

  // Sends the bytes on a new connection: the answer's status (0 if none)
  // and whether the server then closed the connection.
  static std::pair<int, bool> send_raw(const HostProcess& host, const std::string& bytes) {
    HttpConnection connection(host.port());
    connection.send(bytes);
    auto response = connection.read_response(10s);
    bool closed = connection.closed_by_peer(30s);
    return {response ? response->status : 0, closed};
  }

  // A body the server refused (400, 413) before the response began is the
  // server's answer, not a response cut short; the proxy says so.
  void expect_refused_not_cut_short(const HostProcess& host) {
    if (std::string_view(GetParam()) == "outofprocess") {
      EXPECT_TRUE(host.wait_for_output(std::string(outofproc::kRequestBodyRefused), 30s))
          << host.output();
    }
    EXPECT_EQ(host.output().find(outofproc::kResponseCutShort), std::string::npos) << host.output();
  }

  // The requests the app ran, one "METHOD raw-target" per line.
  std::string seen_by_app(const HostProcess& host) { return get(host, "/seen").body; }
};

TEST_P(HostileInputTest, MalformedHeadsAreRefusedBeforeTheAppRuns) {
  auto host = serve_mirror();
  for (const auto& hostile : hostile_heads()) {
    auto [status, closed] = send_raw(*host, hostile.bytes);
    EXPECT_EQ(status, hostile.status) << hostile.what;
    EXPECT_TRUE(closed) << hostile.what << ": the connection stays open after a refused head";
  }
  auto seen = seen_by_app(*host);
  EXPECT_EQ(seen.find("hostile"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("smuggled"), std::string::npos) << seen;
}

TEST_P(HostileInputTest, MalformedChunkedBodiesGetA400WhileTheAppReads) {
  auto host = serve_mirror();
  for (const auto& hostile : hostile_chunked_bodies()) {
    auto [status, closed] = send_raw(*host, hostile.bytes);
    EXPECT_EQ(status, hostile.status) << hostile.what;
    EXPECT_TRUE(closed) << hostile.what;
  }
  EXPECT_EQ(seen_by_app(*host).find("smuggled"), std::string::npos);
  expect_refused_not_cut_short(*host);
  // The host still serves.
  EXPECT_EQ(get(*host, "/after").status, 200);
}

TEST_P(HostileInputTest, AChunkedBodyOverTheLimitGetsA413WhileTheAppReads) {
  auto host = serve_mirror({"--max-body-bytes", "1000"});
  auto request = head("POST /mirror HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n") +
                 "258\r\n" + std::string(600, 'a') + "\r\n258\r\n" + std::string(600, 'b') +
                 "\r\n0\r\n\r\n";
  auto [status, closed] = send_raw(*host, request);
  EXPECT_EQ(status, 413);
  EXPECT_TRUE(closed);
  expect_refused_not_cut_short(*host);
  // Under the limit, the same framing is served.
  auto small = exchange(host->port(), chunked_post("/mirror", std::string(900, 'c'), 300));
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200);
  EXPECT_NE(small->body.find("body-length: 900"), std::string::npos) << small->body;
}

// A body that trickles in under Kestrel's minimum data rate (240 bytes a
// second once the app's reads waited 5 s) gets 408 and the connection
// closes: in process the host measures it, out of process the app's Kestrel
// (the host leaves the rate to it, as gRPC needs).
TEST_P(HostileInputTest, ABodyUnderTheMinimumDataRateGets408) {
  auto host = serve_mirror();
  HttpConnection connection(host->port());
  connection.send(head("POST /mirror HTTP/1.1", "Host: a\r\nContent-Length: 1000\r\n"));
  std::optional<HttpResponse> response;
  {
    Trickle trickle(connection, "x", 200ms);  // 5 bytes a second
    response = connection.read_response(60s);
  }
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(connection.closed_by_peer(10s));
  EXPECT_EQ(get(*host, "/after").status, 200);
}

// An app that turns the minimum off for a request
// (IHttpMinRequestBodyDataRateFeature, as gRPC does for client streams)
// gets a body slower than that, whole. The feature starts at Kestrel's
// default in both hosting models.
TEST_P(HostileInputTest, AnAppMayTurnTheMinimumDataRateOff) {
  auto host = serve_mirror();
  HttpConnection connection(host->port());
  connection.send(head("POST /mirror?unhurried HTTP/1.1", "Host: a\r\nContent-Length: 35\r\n"));
  std::optional<HttpResponse> response;
  {
    Trickle trickle(connection, "x", 200ms);  // 7 s for the body: past the grace period
    response = connection.read_response(60s);
  }
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("body-length: 35\n"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("min-data-rate: 240/5\n"), std::string::npos) << response->body;
}

TEST_P(HostileInputTest, EmptyLinesBeforeTheRequestLineAreIgnored) {
  auto host = serve_mirror();
  HttpConnection connection(host->port());
  connection.send("\r\n\r\n" + get_request("/after-blank-lines"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("path: /after-blank-lines"), std::string::npos) << response->body;
}

TEST_P(HostileInputTest, AnAbsoluteFormTargetReachesTheAppAsItsPath) {
  auto host = serve_mirror();
  auto authority = "127.0.0.1:" + std::to_string(host->port());
  HttpConnection connection(host->port());
  connection.send(
      head("GET http://" + authority + "/absolute?x=1 HTTP/1.1", "Host: " + authority + "\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("path: /absolute\n"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("query: ?x=1\n"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("host: " + authority + "\n"), std::string::npos) << response->body;
}

// As Kestrel and nginx do: the body is read as a body, the request is not
// upgradable, and the connection carries the next request, which runs once.
TEST_P(HostileInputTest, AnUpgradeWithABodyIsServedAsAPlainRequest) {
  auto host = serve_mirror();
  for (std::string upgrade : {"h2c", "foo"}) {
    HttpConnection connection(host->port());
    connection.send(
        head("POST /upgrade-" + upgrade + " HTTP/1.1",
             "Host: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: " + upgrade +
                 "\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 29\r\n") +
        "GET /in-body HTTP/1.1\r\nX: y\r\n" + get_request("/after-" + upgrade));
    auto response = connection.read_response();
    ASSERT_TRUE(response) << upgrade << "\n" << host->output();
    EXPECT_EQ(response->status, 200) << upgrade;
    EXPECT_NE(response->body.find("body-length: 29\n"), std::string::npos) << response->body;
    EXPECT_NE(response->body.find("upgradable: False\n"), std::string::npos) << response->body;
    auto next = connection.read_response();
    ASSERT_TRUE(next) << upgrade;
    EXPECT_NE(next->body.find("path: /after-" + upgrade + "\n"), std::string::npos) << next->body;
  }
  EXPECT_EQ(seen_by_app(*host).find("/in-body"), std::string::npos);
  // Without a body the same request stays upgradable.
  HttpConnection connection(host->port());
  connection.send(
      head("GET /upgradable HTTP/1.1", "Host: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\n"));
  auto plain = connection.read_response();
  ASSERT_TRUE(plain);
  EXPECT_NE(plain->body.find("upgradable: True\n"), std::string::npos) << plain->body;
}

TEST_P(HostileInputTest, HeadGetsTheAppsContentLengthOrNone) {
  auto host = serve_mirror();
  HttpConnection connection(host->port());
  connection.send(head("HEAD /sized?length=1234 HTTP/1.1", "Host: a\r\n"));
  auto sized = connection.read_response(10s, /*head_request=*/true);
  ASSERT_TRUE(sized);
  EXPECT_EQ(sized->status, 200);
  EXPECT_EQ(sized->header("content-length"), "1234");
  EXPECT_TRUE(sized->body.empty());
  connection.send(head("HEAD /unsized HTTP/1.1", "Host: a\r\n"));
  auto unsized = connection.read_response(10s, /*head_request=*/true);
  ASSERT_TRUE(unsized);
  EXPECT_EQ(unsized->status, 200);
  EXPECT_FALSE(unsized->has_header("content-length")) << unsized->header("content-length");
  // The connection carries the next request: nothing was sent as a body.
  connection.send(get_request("/sized?length=3"));
  auto next = connection.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "xxx");
}

// Beast bounds neither a chunk-size line nor the trailers: the connection's
// buffer does, so a body that never ends its line is refused, not stored.
TEST_P(HostileInputTest, AnEndlessChunkExtensionOrTrailerIsRefused) {
  auto host = serve_mirror();
  const std::string chunked =
      head("POST /mirror HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n");
  for (const std::string& start : {chunked + "1;ext=", chunked + "1\r\nx\r\n0\r\nX-T: "}) {
    HttpConnection connection(host->port());
    // More than any buffer the connection may hold, sent while it answers.
    auto sent = connection.send_in_background(start + std::string(1024 * 1024, 'a'));
    auto response = connection.read_response(30s);
    sent.wait();
    ASSERT_TRUE(response) << start;
    EXPECT_EQ(response->status, 400) << start;
    EXPECT_TRUE(connection.closed_by_peer(30s)) << start;
  }
  EXPECT_EQ(get(*host, "/after").status, 200);
}

// Methods are case-sensitive: "head" is not HEAD. The app takes it for HEAD
// and writes no body: as Kestrel, a 500 replaces a response that would end
// short of its Content-Length, and the connection carries the next request.
TEST_P(HostileInputTest, ALowerCaseHeadNeverMisframesTheNextResponse) {
  auto host = serve_mirror();
  HttpConnection connection(host->port());
  connection.send(head("head /sized?length=5 HTTP/1.1", "Host: a\r\n") +
                  get_request("/sized?length=3"));
  auto first = connection.read_response();
  ASSERT_TRUE(first) << host->output();
  EXPECT_EQ(first->status, 500);
  EXPECT_EQ(first->header("content-length"), "0");
  auto next = connection.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "xxx");
}

// A 304 announces a length but never carries a body (RFC 9110 §15.4.5).
TEST_P(HostileInputTest, A304SendsNoBodyWhateverTheAppWrites) {
  auto host = serve_mirror();
  HttpConnection connection(host->port());
  connection.send(get_request("/not-modified-with-body") + get_request("/sized?length=3"));
  auto not_modified = connection.read_response(10s, /*head_request=*/true);
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  auto next = connection.read_response();
  ASSERT_TRUE(next) << "the 304's body was read as the next response";
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "xxx");
}

// Connection may name hop-by-hop fields, not the Host the front end checked.
TEST_P(HostileInputTest, TheAppSeesTheCheckedHostEvenIfConnectionNamesIt) {
  auto host = serve_mirror();
  HttpConnection connection(host->port());
  connection.send(head("GET /host HTTP/1.1", "Host: checked.example\r\nConnection: Host\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("host: checked.example\n"), std::string::npos) << response->body;
}

INSTANTIATE_TEST_SUITE_P(BothHostingModels, HostileInputTest,
                         ::testing::Values("inprocess", "outofprocess"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace ancm::test
