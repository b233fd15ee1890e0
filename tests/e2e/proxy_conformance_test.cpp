// What the app observes and sends is what Kestrel direct (and IIS + ANCM)
// give it, with the out-of-process proxy in between: a flushed head reaches
// the client at once, the app's Connection: close ends the client's
// connection, the client's transfer codings reach the app, a response ended
// early does not hold back the next request, the reason phrase is the app's,
// and a body that arrives in pieces is never cut short. Each runs in both
// hosting models where in-process must behave the same (EchoBody,
// RequestMirror).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"
#include "published_app.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// Generous bounds: a passing test never waits them out.
constexpr auto kPatience = 30s;

std::string chunk(const std::string& data) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

class ProxyConformanceTest : public PublishedAppTest,
                             public ::testing::WithParamInterface<const char*> {
 protected:
  ProxyConformanceTest() : PublishedAppTest("ancm-proxy-conf") {}

  std::unique_ptr<HostProcess> serve_app(const std::string& app) {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    auto host = serve(app, edit);
    EXPECT_EQ(get(*host, "/", "", 60s).status, 200) << host->output();  // started
    return host;
  }
};

// Server-sent events start with the head alone.
TEST_P(ProxyConformanceTest, ServerSentEventsStartWithTheHead) {
  auto host = serve_app("EchoBody");
  HttpConnection connection(host->port());
  connection.send(get_request("/events?key=sse"));
  auto head = connection.read_until("\r\n\r\n", kPatience);
  EXPECT_NE(head.find("text/event-stream"), std::string::npos) << head << host->output();
  ASSERT_EQ(get(*host, "/release?key=sse").status, 200);
  auto event = connection.read_until("data: released", kPatience);
  EXPECT_NE(event.find("data: released"), std::string::npos) << event;
}

// Kestrel and in-process close the connection after a response whose app
// said Connection: close.
TEST_P(ProxyConformanceTest, TheAppsConnectionCloseEndsTheClientConnection) {
  auto host = serve_app("EchoBody");
  HttpConnection connection(host->port());
  connection.send(get_request("/close"));
  auto response = connection.read_response(kPatience);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->body, "closing\n");
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(connection.closed_by_peer(kPatience));
}

// The codings applied before chunked are the app's to undo: it must see them.
TEST_P(ProxyConformanceTest, TheAppSeesTheTransferCodingsTheClientSent) {
  auto host = serve_app("RequestMirror");
  HttpConnection connection(host->port());
  connection.send(
      "POST /mirror HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n");
  auto response = connection.read_response(kPatience);
  ASSERT_TRUE(response) << host->output();
  EXPECT_NE(response->body.find("header: Transfer-Encoding: gzip, chunked\n"), std::string::npos)
      << response->body;
  EXPECT_NE(response->body.find("body: abc\n"), std::string::npos) << response->body;
}

// The reason phrase is the app's, exactly.
TEST_P(ProxyConformanceTest, TheReasonPhraseIsTheApps) {
  auto host = serve_app("EchoBody");
  auto status_line = [&](const std::string& target) {
    HttpConnection connection(host->port());
    connection.send(get_request(target, "Connection: close\r\n"));
    auto response = connection.read_until("\r\n", kPatience);
    return response.substr(0, response.find("\r\n"));
  };
  EXPECT_EQ(status_line("/reason?code=999&reason=Custom%20Reason"), "HTTP/1.1 999 Custom Reason");
  EXPECT_EQ(status_line("/reason?code=200&reason=Fine"), "HTTP/1.1 200 Fine");
  EXPECT_EQ(status_line("/reason?code=404"), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(status_line("/reason?code=999"), "HTTP/1.1 999 ");  // no standard reason
}

// A body that arrives in pieces, while the app already answers, is relayed
// to its end every time: never cut short, never refused.
TEST_P(ProxyConformanceTest, BodiesArrivingInPiecesAreNeverCutShort) {
  auto host = serve_app("EchoBody");
  HttpConnection connection(host->port());
  for (int i = 0; i < 200; ++i) {
    std::string tag = "<" + std::to_string(i) + ">";
    std::string piece(1000, static_cast<char>('a' + i % 26));
    std::string body = tag + piece + piece + piece;
    bool chunked = i % 2 == 1;
    std::string target = i % 4 < 2 ? "/echo" : "/flushed-echo";
    if (chunked) {
      connection.send("POST " + target +
                      " HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
      connection.send(chunk(tag + piece));
      connection.send(chunk(piece));
      connection.send(chunk(piece) + "0\r\n\r\n");
    } else {
      connection.send("POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + tag);
      connection.send(piece);
      connection.send(piece);
      connection.send(piece);
    }
    auto response = connection.read_response(kPatience);
    ASSERT_TRUE(response) << "request " << i << " got no response\n" << host->output();
    ASSERT_EQ(response->status, 200) << "request " << i;
    ASSERT_EQ(response->body, body) << "request " << i;
  }
}

// A client that asked for 100-continue, heard it, and then sends its body
// slowly, in pieces with pauses between them, gets the whole body echoed:
// the read that waits for the next piece is never ended early, by the proxy
// or by the front end (issue 11: "the request body could not be read").
// The pauses shape the timing; nothing waits on them.
TEST_P(ProxyConformanceTest, ASlowBodyAfter100ContinueIsReadToItsEnd) {
  auto host = serve_app("EchoBody");
  HttpConnection connection(host->port());
  const std::string piece(700, 'p');
  constexpr int kPieces = 6;
  connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: " +
                  std::to_string(piece.size() * kPieces) + "\r\n\r\n");
  auto interim = connection.read_until("\r\n\r\n", kPatience);
  ASSERT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n") << host->output();
  for (int i = 0; i < kPieces; ++i) {
    std::this_thread::sleep_for(100ms);
    connection.send(piece);
  }
  auto response = connection.read_response(kPatience);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), piece.size() * kPieces);
  EXPECT_EQ(host->output().find("could not be read"), std::string::npos) << host->output();
}

// An app that answers while it reads (its head first, then each piece of the
// body echoed and flushed) gets each piece as the client sends it, the next
// only after the client saw the echo of the one before.
TEST_P(ProxyConformanceTest, InterleavedEchoAnswersEachPieceAsItArrives) {
  auto host = serve_app("EchoBody");
  HttpConnection connection(host->port());
  connection.send("POST /flushed-echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n");
  auto head = connection.read_until("\r\n\r\n", kPatience);
  ASSERT_NE(head.find("\r\n\r\n"), std::string::npos) << head << host->output();
  connection.send("hello");
  auto first = connection.read_until("hello", kPatience);
  ASSERT_NE(first.find("hello"), std::string::npos) << first << host->output();
  connection.send("world");
  auto rest = connection.read_until("0\r\n\r\n", kPatience);
  EXPECT_NE(rest.find("world"), std::string::npos) << rest << host->output();
  EXPECT_NE(rest.find("0\r\n\r\n"), std::string::npos) << rest << host->output();
}

// An HTTP/1.0 request without Host reaches the app as Kestrel gives it:
// HTTP/1.0, an empty Host, no Host field.
TEST_P(ProxyConformanceTest, AnHttp10RequestWithoutHostReachesTheAppWithoutOne) {
  auto host = serve_app("RequestMirror");
  HttpConnection connection(host->port());
  connection.send("GET /mirror HTTP/1.0\r\n\r\n");
  auto response = connection.read_response(kPatience);
  ASSERT_TRUE(response) << host->output();
  EXPECT_NE(response->body.find("protocol: HTTP/1.0\n"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("host: \n"), std::string::npos) << response->body;
  EXPECT_EQ(response->body.find("header: Host:"), std::string::npos) << response->body;
}

// An app that completes its response and goes on running (CompleteAsync)
// holds up no other client: on Kestrel direct each client has its own
// connection, and the proxy keeps an upstream connection for the client
// connection it served only. Only the same client's next request waits for
// that handler (Kestrel reads a connection's next request once it returned).
TEST_P(ProxyConformanceTest, AHandlerRunningOnAfterItsResponseHoldsUpNoOtherClient) {
  auto host = serve_app("EchoBody");
  HttpConnection first(host->port());
  first.send(get_request("/complete-then-run?key=hol"));
  auto completed = first.read_response(kPatience);
  ASSERT_TRUE(completed) << host->output();
  EXPECT_EQ(completed->body, "completed\n");

  // Another client, while the first request's handler still runs.
  auto other = get(*host, "/running?key=hol");
  EXPECT_EQ(other.status, 200) << host->output();
  EXPECT_EQ(other.body, "running\n") << host->output();

  ASSERT_EQ(get(*host, "/release?key=hol").status, 200);
  first.send(get_request("/running?key=hol"));
  auto after = first.read_response(kPatience);
  ASSERT_TRUE(after) << host->output();
  EXPECT_EQ(after->status, 200);
  // Out of process the first client's next request went on its own
  // upstream connection, which Kestrel reads once that handler returned.
  if (std::string(GetParam()) == "outofprocess") {
    EXPECT_EQ(after->body, "not running\n");
  }
}

INSTANTIATE_TEST_SUITE_P(HostingModels, ProxyConformanceTest,
                         ::testing::Values("outofprocess", "inprocess"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace ancm::test
