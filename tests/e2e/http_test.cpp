// The worker's HTTP/1.1 front end, through a real ancm-host and the test
// handler library: keep-alive, pipelining, bodies, limits and timeouts.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "ancm/server/master.h"
#include "ancm/server/worker.h"
#include "command_output.h"
#include "h2_frames.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"
#include "temp_dir.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

class HttpTest : public ::testing::Test {
 protected:
  std::unique_ptr<HostProcess> start(std::vector<std::string> extra_args = {},
                                     std::string listen = "http://127.0.0.1:0") {
    write_file(app_ / "web.config", WebConfig{}.text());
    HostOptions options;
    options.target = app_.path();
    options.extra_args = std::move(extra_args);
    options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
    options.listen = std::move(listen);
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  TempDir app_{"ancm-http"};
};

TEST_F(HttpTest, AnswersWithDateAndServerHeaders) {
  auto host = start();
  auto response = http_get(host->port(), "/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "Hello from test-outofproc\n");
  EXPECT_TRUE(response->has_header("date"));
  EXPECT_EQ(response->header("server"), "ancm-host");
  EXPECT_EQ(response->header("content-length"), std::to_string(response->body.size()));
}

// A cleartext HTTP/1.1 connection takes body pieces from a pipe (spliced);
// an HTTP/2 stream does not (its DATA frames are built in user space).
TEST_F(HttpTest, OnlyCleartextHttp1TakesPipePieces) {
  auto host = start();
  auto response = http_get(host->port(), "/pipe-pieces");
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->body, "0");
  auto h2c = command_output("curl -s --http2-prior-knowledge http://127.0.0.1:" +
                            std::to_string(host->port()) + "/pipe-pieces");
  EXPECT_EQ(h2c, std::to_string(-EOPNOTSUPP)) << host->output();
}

TEST_F(HttpTest, KeepsTheConnectionAliveAcrossRequests) {
  auto host = start();
  HttpConnection connection(host->port());
  for (int i = 0; i < 5; ++i) {
    connection.send(get_request("/status?code=" + std::to_string(200 + i)));
    auto response = connection.read_response();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200 + i);
    EXPECT_TRUE(response->keep_alive);
  }
}

// A handler that keeps its request handle past complete() and calls it during
// the connection's next request (which reuses the server's request object):
// every call is refused, the next response is untouched, one warning is logged.
TEST_F(HttpTest, RefusesAStaleRequestHandleOnTheNextRequest) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(get_request("/stale?keep"));
  auto kept = connection.read_response();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->body, "kept\n");
  for (int i = 0; i < 2; ++i) {
    connection.send(get_request("/stale?use"));
    auto response = connection.read_response();
    ASSERT_TRUE(response) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_FALSE(response->has_header("x-stale"));
    auto refused = std::to_string(-ESTALE);
    EXPECT_EQ(response->body, "set_status=" + refused + "\nadd_header=" + refused +
                                  "\npath=\nwrite=" + refused + "\n");
    EXPECT_TRUE(response->keep_alive);
  }
  connection.send(get_request("/status?code=201"));
  auto after = connection.read_response();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 201);
  // Logged before the first refused call returned, so before its response.
  const std::string warning(server::kStaleRequestHandle);
  ASSERT_TRUE(host->wait_for_output(warning, 30s)) << host->output();
  auto output = host->output();
  auto first = output.find(warning);
  EXPECT_EQ(output.find(warning, first + 1), std::string::npos) << "logged more than once";
}

TEST_F(HttpTest, AnswersPipelinedRequestsInOrder) {
  auto host = start();
  HttpConnection connection(host->port());
  // A slow first request must not let the fast ones overtake it.
  connection.send(get_request("/slow?ms=300") + get_request("/status?code=201") +
                  get_request("/status?code=202"));
  auto first = connection.read_response();
  auto second = connection.read_response();
  auto third = connection.read_response();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body, "slow done\n");
  EXPECT_EQ(second->status, 201);
  EXPECT_EQ(third->status, 202);
}

TEST_F(HttpTest, EchoesAChunkedUpload) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1\r\n \r\n6;ext=1\r\nchunks\r\n0\r\n\r\n");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello chunks");
  // The connection stays usable after a chunked body.
  connection.send(get_request("/status?code=204"));
  auto next = connection.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 204);
}

TEST_F(HttpTest, EchoesTenMebibytesByteExact) {
  auto host = start();
  auto body = random_bytes(10 * 1024 * 1024);
  HttpConnection connection(host->port());
  auto sent = connection.send_in_background("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                                            std::to_string(body.size()) + "\r\n\r\n" + body);
  auto response = connection.read_response(30s);
  EXPECT_TRUE(sent.get());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), body.size());
  EXPECT_TRUE(response->body == body);
}

TEST_F(HttpTest, SendsContinueBeforeReadingTheBody) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  auto interim = connection.read_until("\r\n\r\n", 30s);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  connection.send("ping");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "ping");
}

TEST_F(HttpTest, HeadGetsHeadersWithoutABody) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = connection.read_response(10s, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  // The handler wrote its GET body without a Content-Length: the server
  // sends none rather than one it made up (RFC 9110 §8.6; Kestrel does too).
  EXPECT_FALSE(head->has_header("content-length")) << head->header("content-length");
  EXPECT_TRUE(head->body.empty());
  // Had a body been sent, it would be read as the next response.
  connection.send(get_request("/status?code=203"));
  auto next = connection.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 203);
}

// A handler's body must match the Content-Length it announced: more is
// never sent (it would be read as the next response), and less ends the
// connection (the client would wait for bytes that never come).
TEST_F(HttpTest, TheBodyNeverOverrunsItsContentLength) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(get_request("/declared?length=3&write=5") + get_request("/status?code=203"));
  auto declared = connection.read_response();
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared->body, "xxx");
  auto next = connection.read_response();
  ASSERT_TRUE(next) << "the extra bytes were read as the next response";
  EXPECT_EQ(next->status, 203);
}

TEST_F(HttpTest, ABodyShortOfItsContentLengthEndsTheConnection) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(get_request("/declared?length=5&write=2"));
  auto raw = connection.read_raw(30s);  // until the server closes
  EXPECT_NE(raw.find("Content-Length: 5\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.find("\r\n\r\n") + 4), "xx");
  EXPECT_TRUE(connection.closed_by_peer(30s));
}

TEST_F(HttpTest, HonoursConnectionClose) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(get_request("/", "Connection: close\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(connection.closed_by_peer(30s));
}

TEST_F(HttpTest, ClosesAfterAnHttp10Response) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send("GET / HTTP/1.0\r\n\r\n");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(connection.closed_by_peer(30s));
}

TEST_F(HttpTest, RejectsOversizedHeadersWith431) {
  auto host = start({"--max-header-bytes", "4096"});
  HttpConnection connection(host->port());
  connection.send(get_request("/", "X-Big: " + std::string(8000, 'a') + "\r\n"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(connection.closed_by_peer(30s));
}

TEST_F(HttpTest, RejectsALongUriWith414) {
  auto host = start({"--max-uri-bytes", "1024"});
  for (std::size_t length : {2000u, 40000u}) {  // below and above the header limit
    HttpConnection connection(host->port());
    connection.send(get_request("/" + std::string(length, 'u')));
    auto response = connection.read_response();
    ASSERT_TRUE(response) << length;
    EXPECT_EQ(response->status, 414) << length;
  }
}

TEST_F(HttpTest, RejectsAMalformedRequestWith400AndCloses) {
  auto host = start();
  for (std::string bad : {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
                          "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"}) {
    HttpConnection connection(host->port());
    connection.send(bad);
    auto response = connection.read_response();
    ASSERT_TRUE(response) << bad;
    EXPECT_EQ(response->status, 400) << bad;
    EXPECT_TRUE(connection.closed_by_peer(30s)) << bad;
  }
  // The host is unharmed.
  auto after = http_get(host->port(), "/");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpTest, RejectsATooLargeBodyWith413) {
  auto host = start({"--max-body-bytes", "1000"});
  HttpConnection connection(host->port());
  connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n");
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST_F(HttpTest, ClosesAnIdleKeepAliveConnection) {
  auto host = start({"--keepalive-timeout", "1"});
  HttpConnection connection(host->port());
  connection.send(get_request("/"));
  ASSERT_TRUE(connection.read_response());
  EXPECT_TRUE(connection.closed_by_peer(30s));
}

TEST_F(HttpTest, ClosesWhenHeadersArriveTooSlowly) {
  auto host = start({"--header-timeout", "1"});
  HttpConnection connection(host->port());
  connection.send("GET / HTTP/1.1\r\nHost: t\r\n");  // never finished
  EXPECT_TRUE(connection.closed_by_peer(30s));
}

// One header timeout from accept until the first head is complete: a
// client whose first byte could begin HTTP/2's preface ("P") keeps the server
// guessing for a while, and the head that follows gets no timeout of its own.
TEST_F(HttpTest, TheFirstHeadHasOneHeaderTimeoutFromAccept) {
  auto host = start({"--header-timeout", "1"});
  HttpConnection connection(host->port());
  connection.send("P");
  std::this_thread::sleep_for(700ms);
  connection.send("UT / HTTP/1.1\r\nHost: t\r\n");
  std::this_thread::sleep_for(700ms);
  connection.send("Content-Length: 0\r\n\r\n");
  EXPECT_FALSE(connection.read_response(10s)) << host->output();
  EXPECT_TRUE(connection.closed_by_peer(30s));
  // A prompt client is served.
  EXPECT_TRUE(http_get(host->port(), "/"));
}

// The same one header budget holds for h2c with prior knowledge: the preface,
// SETTINGS and a HEADERS block finished by a CONTINUATION, each step well
// inside the header timeout, are cut at the budget from accept. Without it
// the HEADERS frame would start a timeout of its own and the head would be
// served.
TEST_F(HttpTest, H2cTrickledFirstHeadEndsAtTheOneHeaderBudget) {
  constexpr auto kBudget = 2s;
  auto host = start({"--header-timeout", "2", "--keepalive-timeout", "3600"});
  auto connected = std::chrono::steady_clock::now();
  HttpConnection connection(host->port());
  connection.send(std::string(h2::kPreface));
  std::this_thread::sleep_for(700ms);
  connection.send(h2::settings());
  std::this_thread::sleep_for(700ms);
  std::string block = h2::get_block("/");
  std::size_t half = block.size() / 2;
  connection.send(h2::frame(h2::kHeaders, h2::kEndStream, 1, block.substr(0, half)));
  std::this_thread::sleep_for(1200ms);  // past the budget, inside the HEADERS' own timeout
  connection.send(h2::frame(h2::kContinuation, h2::kEndHeaders, 1, block.substr(half)));
  auto bytes = connection.read_raw(3 * kBudget);
  auto closed_after = std::chrono::steady_clock::now() - connected;
  EXPECT_TRUE(connection.closed_by_peer(0ms)) << host->output();
  EXPECT_LT(closed_after, 3 * kBudget);
  EXPECT_EQ(h2::answered_status(bytes, 1), "") << "the trickled head was served";
  EXPECT_TRUE(http_get(host->port(), "/"));  // a prompt client is served
}

// A client that sends the preface and SETTINGS, then nothing: closed once the
// budget is spent, not before, and not at the keep-alive timeout.
TEST_F(HttpTest, H2cSilenceAfterThePrefaceEndsAtTheHeaderBudget) {
  constexpr auto kBudget = 2s;
  auto host = start({"--header-timeout", "2", "--keepalive-timeout", "3600"});
  auto connected = std::chrono::steady_clock::now();
  HttpConnection connection(host->port());
  connection.send(h2::client_start());
  auto bytes = connection.read_raw(3 * kBudget);
  auto closed_after = std::chrono::steady_clock::now() - connected;
  EXPECT_TRUE(connection.closed_by_peer(0ms)) << host->output();
  EXPECT_GE(closed_after, kBudget - 100ms);  // the budget is from accept, after connect
  EXPECT_LT(closed_after, 3 * kBudget);
  EXPECT_EQ(h2::goaway_code(bytes), 0u);  // GOAWAY NO_ERROR for a timeout
}

TEST_F(HttpTest, StreamsAResponseInPieces) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(get_request("/stream?chunks=3&ms=700"));
  // The first piece arrives while the handler is still producing the rest
  // (buffered, it would come with the others).
  auto early = connection.read_until("piece 3", 30s);
  EXPECT_NE(early.find("Transfer-Encoding: chunked"), std::string::npos) << early;
  EXPECT_NE(early.find("piece 3"), std::string::npos) << early;
  EXPECT_EQ(early.find("piece 1"), std::string::npos) << early;
  auto rest = connection.read_until("0\r\n\r\n", 30s);
  EXPECT_NE(rest.find("piece 1"), std::string::npos) << rest;
  EXPECT_NE(rest.find("0\r\n\r\n"), std::string::npos) << rest;
}

TEST_F(HttpTest, ReportsTheClientAddressAndHeadersToTheHandler) {
  auto host = start();
  auto response = http_get(host->port(), "/request?a=1&b=2", "X-One: 1\r\nX-One: 2\r\n");
  ASSERT_TRUE(response);
  const auto& body = response->body;
  EXPECT_NE(body.find("method=GET\n"), std::string::npos) << body;
  EXPECT_NE(body.find("path=/request\n"), std::string::npos) << body;
  EXPECT_NE(body.find("query=a=1&b=2\n"), std::string::npos) << body;
  EXPECT_NE(body.find("remote=127.0.0.1:"), std::string::npos) << body;
  EXPECT_NE(body.find("header:X-One=1\nheader:X-One=2\n"), std::string::npos) << body;
}

bool has_ipv6_loopback() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

TEST_F(HttpTest, ListensOnIpv6) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
  auto host = start({}, "http://[::1]:0");
  HttpConnection connection(host->port(), "::1");
  ASSERT_TRUE(connection.connected());
  connection.send(get_request("/"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("Hello"), std::string::npos);
}

TEST_F(HttpTest, ListensOnSeveralAddresses) {
  write_file(app_ / "web.config", WebConfig{}.text());
  HostOptions options;
  options.target = app_.path();
  options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
  options.extra_args = {"--listen", "http://127.0.0.2:0"};
  HostProcess host(options);
  ASSERT_TRUE(host.started());
  const std::string second_listener = std::string(server::kListeningOn) + "http://127.0.0.2:";
  ASSERT_TRUE(host.wait_for_output(second_listener, 30s)) << host.output();
  auto output = host.output();
  auto at = output.find(second_listener);
  auto second_port = static_cast<uint16_t>(std::stoi(output.substr(at + second_listener.size())));
  HttpConnection connection(second_port, "127.0.0.2");
  connection.send(get_request("/"));
  auto response = connection.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

}  // namespace
}  // namespace ancm::test

namespace ancm::test {
namespace {

TEST_F(HttpTest, UpgradesToARawStream) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(get_request("/upgrade", "Connection: Upgrade\r\nUpgrade: echo\r\n") +
                  "early bytes|");
  auto head = connection.read_until("early bytes|", 30s);
  EXPECT_EQ(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << head;
  EXPECT_NE(head.find("Connection: Upgrade\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Upgrade: echo\r\n"), std::string::npos) << head;
  // Bytes sent with the request are the stream's first bytes.
  EXPECT_NE(head.find("\r\n\r\nearly bytes|"), std::string::npos) << head;
  connection.send("ping after upgrade");
  EXPECT_EQ(connection.read_until("ping after upgrade", 30s), "ping after upgrade");
}

TEST_F(HttpTest, AnAbortedResponseIsCutShort) {
  auto host = start();
  HttpConnection connection(host->port());
  connection.send(get_request("/abort"));
  auto raw = connection.read_raw(30s);  // until the server closes
  EXPECT_NE(raw.find("part of a body"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("0\r\n\r\n"), std::string::npos) << raw;  // never terminated
  EXPECT_FALSE(connection.connected());
}

}  // namespace
}  // namespace ancm::test
