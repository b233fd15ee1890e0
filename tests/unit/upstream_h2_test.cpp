// The HTTP/2 session to a child (UpstreamH2Session) against a real HTTP/2
// server (nghttp2's server side, h2_test_server.*), over loopback TCP.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <thread>

#include "event_queue.h"
#include "h2_request_head.h"
#include "h2_test_server.h"
#include "h2c_probe.h"
#include "host_process.h"
#include "upstream_h2_session.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;
using outofproc::H2Fields;
using outofproc::H2RequestHead;
using outofproc::H2StreamEnd;
using outofproc::UpstreamH2Session;

// What one stream's owner heard, in order.
struct Heard {
  enum Kind { Head, Data, End, BodyTaken, StreamEnd } kind;
  int status = 0;
  H2Fields fields;
  std::string data;
  H2StreamEnd end;
};

// Records every event; consumes the response bytes as they come unless told
// not to (then the test does).
class RecordingSink : public outofproc::UpstreamH2Sink {
 public:
  explicit RecordingSink(bool consume = true) : consume_(consume) {}
  void on_response_head(int status, H2Fields headers) override {
    heard.push({Heard::Head, status, std::move(headers), {}, {}});
  }
  void on_response_data(std::string piece) override {
    if (consume_ && session) session->consume(key, piece.size());
    heard.push({Heard::Data, 0, {}, std::move(piece), {}});
  }
  void on_response_end(H2Fields trailers) override {
    heard.push({Heard::End, 0, std::move(trailers), {}, {}});
  }
  void on_body_taken() override { heard.push({Heard::BodyTaken, 0, {}, {}, {}}); }
  void on_stream_end(H2StreamEnd end) override {
    heard.push({Heard::StreamEnd, 0, {}, {}, std::move(end)});
  }

  // The body up to the response's end; false when something else came.
  bool read_body(std::string& body) {
    while (auto event = heard.next()) {
      if (event->kind == Heard::Data) body += event->data;
      if (event->kind == Heard::End) return true;
      if (event->kind == Heard::StreamEnd) {
        ADD_FAILURE() << "the stream ended first: " << event->end.why << " (code "
                      << event->end.error_code << ")";
        return false;
      }
    }
    return false;
  }
  std::optional<Heard> next_of(Heard::Kind kind) {
    while (auto event = heard.next()) {
      if (event->kind == kind) return event;
    }
    return std::nullopt;
  }

  std::shared_ptr<UpstreamH2Session> session;
  UpstreamH2Session::StreamKey key = 0;
  EventQueue<Heard> heard;

 private:
  bool consume_;
};

H2RequestHead request(const std::string& method, const std::string& path, bool body = false) {
  H2RequestHead head;
  head.fields = {{":method", method},
                 {":scheme", "http"},
                 {":authority", "test"},
                 {":path", path},
                 {"x-test", "yes"}};
  head.has_body = body;
  return head;
}

class UpstreamH2Test : public ::testing::Test {
 protected:
  ~UpstreamH2Test() override {
    if (session_) session_->close();
    work_.reset();
    thread_.join();
  }

  std::shared_ptr<UpstreamH2Session> session(outofproc::H2Limits limits = {}) {
    session_ = UpstreamH2Session::start(io_.get_executor(), {server_.port(), 4242}, log_, limits);
    return session_;
  }

  std::shared_ptr<RecordingSink> open(const std::shared_ptr<UpstreamH2Session>& s,
                                      H2RequestHead head, bool consume = true) {
    auto sink = std::make_shared<RecordingSink>(consume);
    sink->session = s;
    sink->key = s->open_stream(std::move(head), sink);
    return sink;
  }

  H2TestServer server_{2};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread thread_{[this] { io_.run(); }};
  outofproc::Logger log_ = [](ancm_log_level, const std::string& line) {
    std::fprintf(stderr, "session: %s\n", line.c_str());
  };
  std::shared_ptr<UpstreamH2Session> session_;
};

// A server whose SETTINGS do not allow extended CONNECT (RFC 8441 section 3)
// never sees one: the stream ends refused before it was sent, and the
// connection serves the next request.
TEST_F(UpstreamH2Test, AnExtendedConnectWaitsForSettingsAndIsRefusedWithoutThem) {
  auto s = session();
  H2RequestHead tunnel = request("CONNECT", "/ws");
  tunnel.fields.emplace(tunnel.fields.begin() + 4, ":protocol", "websocket");
  tunnel.has_body = true;
  tunnel.extended_connect = true;
  auto refused = open(s, std::move(tunnel));
  auto end = refused->next_of(Heard::StreamEnd);
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->end.connect_refused);
  EXPECT_FALSE(end->end.unprocessed);
  EXPECT_NE(end->end.why.find("SETTINGS_ENABLE_CONNECT_PROTOCOL"), std::string::npos)
      << end->end.why;
  auto sink = open(s, request("GET", "/hello"));
  std::string body;
  ASSERT_TRUE(sink->read_body(body));
  EXPECT_EQ(body, "hello");
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(UpstreamH2Test, GetsAResponse) {
  auto s = session();
  auto sink = open(s, request("GET", "/hello"));
  auto head = sink->next_of(Heard::Head);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  std::string body;
  ASSERT_TRUE(sink->read_body(body));
  EXPECT_EQ(body, "hello");
  auto end = sink->next_of(Heard::StreamEnd);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->end.error_code, 0u);
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].headers[":method"], "GET");
  EXPECT_EQ(seen[0].headers[":authority"], "test");
  EXPECT_EQ(seen[0].headers["x-test"], "yes");
}

TEST_F(UpstreamH2Test, PostsABodyInPiecesWithTrailers) {
  auto s = session();
  auto sink = open(s, request("POST", "/echo", true));
  s->send_body(sink->key, "first ", false);
  ASSERT_TRUE(sink->next_of(Heard::BodyTaken));
  s->send_body(sink->key, "second", true, {{"x-checksum", "abc"}});
  ASSERT_TRUE(sink->next_of(Heard::Head));
  std::string body;
  ASSERT_TRUE(sink->read_body(body));
  EXPECT_EQ(body, "first second");
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].body, "first second");
  EXPECT_EQ(seen[0].trailers["x-checksum"], "abc");
}

TEST_F(UpstreamH2Test, ResponseTrailersComeWithTheEnd) {
  auto s = session();
  auto sink = open(s, request("GET", "/trailers"));
  auto end = sink->next_of(Heard::End);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->fields, (H2Fields{{"grpc-status", "0"}, {"grpc-message", "fine"}}));
}

// The server may send only the stream's window until the owner consumes.
TEST_F(UpstreamH2Test, ALargeResponseWaitsForTheOwnerWithASmallWindow) {
  auto s = session({16 * 1024, 64 * 1024});
  auto sink = open(s, request("GET", "/big/1048576"), /*consume=*/false);
  ASSERT_TRUE(sink->next_of(Heard::Head));
  // The server found the stream's window used up, having sent exactly it.
  ASSERT_TRUE(eventually([&] { return server_.window_exhausted(); }));
  std::size_t held = 0;
  while (held < 16u * 1024) {
    auto event = sink->heard.next();
    ASSERT_TRUE(event);
    ASSERT_EQ(event->kind, Heard::Data);
    held += event->data.size();
  }
  EXPECT_EQ(held, 16u * 1024);
  s->consume(sink->key, held);
  std::size_t total = held;
  while (auto event = sink->heard.next()) {
    if (event->kind == Heard::Data) {
      total += event->data.size();
      s->consume(sink->key, event->data.size());
    }
    if (event->kind == Heard::End) break;
  }
  EXPECT_EQ(total, 1048576u);
}

// A child whose response head passes the limit: that stream fails before a
// head reached its owner (who answers 502), with the reason; the connection
// and its other streams go on.
TEST_F(UpstreamH2Test, AResponseHeadOverTheLimitFailsItsStreamOnly) {
  outofproc::H2Limits limits;
  limits.max_response_header_bytes = 4096;
  auto s = session(limits);
  auto sink = open(s, request("GET", "/big-head/8000"));
  auto event = sink->heard.next();
  ASSERT_TRUE(event);
  ASSERT_EQ(event->kind, Heard::StreamEnd) << "a head came: " << event->status;
  EXPECT_NE(event->end.error_code, 0u);
  EXPECT_FALSE(event->end.unprocessed);
  EXPECT_FALSE(event->end.connection_lost);
  EXPECT_NE(event->end.why.find("passed the limit of 4096 bytes"), std::string::npos)
      << event->end.why;

  auto fine = open(s, request("GET", "/big-head/1000"));
  auto head = fine->next_of(Heard::Head);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(server_.connections(), 1);
}

// A child that stops reading while the request body goes up: the write
// stalls in TCP, and after the write timeout the connection fails and the
// stream ends as failed; nothing hangs.
TEST_F(UpstreamH2Test, AChildThatStopsReadingFailsAfterTheWriteTimeout) {
  H2TestServer greedy(100, /*open_windows=*/true);
  outofproc::H2Limits limits;
  limits.write_timeout = 300ms;
  session_ = UpstreamH2Session::start(io_.get_executor(), {greedy.port(), 4242}, log_, limits);
  auto sink = open(session_, request("POST", "/stop-reading", /*body=*/true));
  const std::string piece(1 << 20, 'u');
  session_->send_body(sink->key, piece, false);
  std::optional<outofproc::H2StreamEnd> end;
  std::size_t sent = 1;
  while (auto event = sink->heard.next(30s)) {
    if (event->kind == Heard::BodyTaken) {
      ASSERT_LT(++sent, 1024u) << "a GiB went up: the child reads after all";
      session_->send_body(sink->key, piece, false);
    }
    if (event->kind == Heard::StreamEnd) {
      end = event->end;
      break;
    }
  }
  ASSERT_TRUE(end) << "the stream never ended";
  EXPECT_TRUE(end->connection_lost);
  EXPECT_NE(end->why.find("a write stalled"), std::string::npos) << end->why;
  EXPECT_FALSE(session_->accepting());
}

TEST_F(UpstreamH2Test, AResetBeforeTheHeadIsAStreamEndWithItsCode) {
  auto s = session();
  auto sink = open(s, request("GET", "/reset-before-head"));
  auto end = sink->next_of(Heard::StreamEnd);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->end.error_code, static_cast<std::uint32_t>(NGHTTP2_INTERNAL_ERROR));
  EXPECT_FALSE(end->end.unprocessed);
}

TEST_F(UpstreamH2Test, AResetAfterTheHeadFollowsIt) {
  auto s = session();
  auto sink = open(s, request("GET", "/reset-after-head"));
  auto first = sink->heard.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind, Heard::Head);
  auto end = sink->next_of(Heard::StreamEnd);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->end.error_code, static_cast<std::uint32_t>(NGHTTP2_INTERNAL_ERROR));
}

// Cancelled while it waits for the child's SETTINGS (the client left): it is
// never sent, and its owner hears the cancel at once.
TEST_F(UpstreamH2Test, AnExtendedConnectCancelledBeforeTheSettingsIsNeverSent) {
  auto s = session();
  H2RequestHead tunnel = request("CONNECT", "/ws");
  tunnel.fields.emplace(tunnel.fields.begin() + 4, ":protocol", "websocket");
  tunnel.has_body = true;
  tunnel.extended_connect = true;
  auto cancelled = open(s, std::move(tunnel));
  s->cancel(cancelled->key, NGHTTP2_CANCEL);  // on the strand before any SETTINGS can be read
  auto end = cancelled->next_of(Heard::StreamEnd);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->end.error_code, static_cast<std::uint32_t>(NGHTTP2_CANCEL)) << end->end.why;
  EXPECT_FALSE(end->end.connect_refused);
  auto sink = open(s, request("GET", "/hello"));
  std::string body;
  ASSERT_TRUE(sink->read_body(body));
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(UpstreamH2Test, CancelResetsTheStreamAtTheServer) {
  auto s = session();
  auto sink = open(s, request("GET", "/never"));
  ASSERT_TRUE(eventually([&] { return server_.requests().size() == 1; }));
  s->cancel(sink->key, NGHTTP2_CANCEL);
  auto end = sink->next_of(Heard::StreamEnd);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->end.error_code, static_cast<std::uint32_t>(NGHTTP2_CANCEL));
  EXPECT_TRUE(eventually([&] { return server_.cancels() == 1; }));
}

// The server allows two streams and answers them in pairs: six requests
// opened at once all succeed, never more than two open at the server.
TEST_F(UpstreamH2Test, StreamsBeyondTheChildsLimitWaitTheirTurn) {
  auto s = session();
  std::vector<std::shared_ptr<RecordingSink>> sinks;
  for (int i = 0; i < 6; ++i) sinks.push_back(open(s, request("GET", "/pair")));
  for (auto& sink : sinks) {
    std::string body;
    ASSERT_TRUE(sink->read_body(body));
    EXPECT_EQ(body, "pair");
  }
  EXPECT_EQ(server_.requests().size(), 6u);
  EXPECT_EQ(server_.most_open_streams(), 2);
  EXPECT_EQ(server_.connections(), 1);
}

// After GOAWAY the session takes no new streams; a new session (what
// H2Upstreams makes) serves the next request on a new connection.
TEST_F(UpstreamH2Test, AfterGoawayANewSessionServes) {
  auto s = session();
  auto sink = open(s, request("GET", "/goaway"));
  std::string body;
  ASSERT_TRUE(sink->read_body(body));
  EXPECT_EQ(body, "bye");
  ASSERT_TRUE(eventually([&] { return !s->accepting(); }));
  auto late = open(s, request("GET", "/hello"));
  auto refused = late->next_of(Heard::StreamEnd);
  ASSERT_TRUE(refused);
  EXPECT_TRUE(refused->end.unprocessed);
  auto next = session();
  auto again = open(next, request("GET", "/hello"));
  body.clear();
  ASSERT_TRUE(again->read_body(body));
  EXPECT_EQ(body, "hello");
  EXPECT_EQ(server_.connections(), 2);
}

TEST_F(UpstreamH2Test, ANoListenerEndsStreamsAsUnprocessed) {
  // Port 1: nothing listens there (the connect is refused).
  auto s = UpstreamH2Session::start(io_.get_executor(), {1, 4242}, log_);
  auto sink = open(s, request("GET", "/hello"));
  auto end = sink->next_of(Heard::StreamEnd);
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->end.unprocessed);
  EXPECT_TRUE(end->end.connection_lost);
  EXPECT_FALSE(s->accepting());
}

// ------------------------------------------------------------------ the probe

TEST_F(UpstreamH2Test, TheProbeFindsAnHttp2Server) {
  EXPECT_EQ(outofproc::probe_child_protocol(server_.port(), 10s), outofproc::ChildProtocol::H2c);
}

TEST(H2cProbeTest, AnHttp1AnswerOrNoneIsHttp1) {
  using outofproc::ChildProtocol;
  using outofproc::protocol_of_answer;
  EXPECT_EQ(protocol_of_answer("HTTP/1.1 400 Bad Request\r\n"), ChildProtocol::Http1);
  EXPECT_EQ(protocol_of_answer(""), ChildProtocol::Http1);
  EXPECT_EQ(protocol_of_answer(std::string("\0\0\0\x04\0\0\0\0\0", 9)), ChildProtocol::H2c);
  // Kestrel's HTTP/1.1 endpoint answers the preface with GOAWAY
  // (HTTP_1_1_REQUIRED), as .NET 10 does; no SETTINGS: HTTP/1.1.
  EXPECT_EQ(protocol_of_answer(std::string("\0\0\x08\x07\0\0\0\0\0", 9)), ChildProtocol::Http1);
  // A SETTINGS acknowledgement is not what a server sends first.
  EXPECT_EQ(protocol_of_answer(std::string("\0\0\0\x04\x01\0\0\0\0", 9)), ChildProtocol::Http1);
  // Port 1: nothing listens there.
  EXPECT_EQ(outofproc::probe_child_protocol(1, 10s), ChildProtocol::Http1);
}

// ------------------------------------------------------------------ request mapping

TEST(H2RequestHeadTest, MapsTheRequestLineAndDropsConnectionSpecificFields) {
  outofproc::ClientRequest client;
  client.method = "POST";
  client.target = "/a?b=c";
  client.headers = {{"Host", "example.test"},
                    {"Connection", "keep-alive, X-Hop"},
                    {"X-Hop", "gone"},
                    {"Keep-Alive", "timeout=5"},
                    {"Transfer-Encoding", "chunked"},
                    {"TE", "gzip, trailers"},
                    {"Upgrade", "websocket"},
                    {"Proxy-Connection", "x"},
                    {"MS-ASPNETCORE-TOKEN", "forged"},
                    {"MS-ASPNETCORE-CLIENTCERT", "forged"},
                    {"Content-Type", "text/plain"}};
  client.remote_address = "10.0.0.1";
  client.remote_port = 5000;
  client.is_tls = true;
  const std::vector<std::uint8_t> der = {0x30, 0x82, 0x01};
  client.client_certificate = der;
  client.has_body = true;
  auto head = outofproc::build_h2_request(client, "the-token", 12);
  EXPECT_TRUE(head.has_body);
  // :scheme is the cleartext hop's; the client's TLS is in X-Forwarded-Proto.
  H2Fields expected = {{":method", "POST"},
                       {":scheme", "http"},
                       {":authority", "example.test"},
                       {":path", "/a?b=c"},
                       {"content-type", "text/plain"},
                       {"x-forwarded-for", "10.0.0.1:5000"},
                       {"x-forwarded-proto", "https"},
                       {"ms-aspnetcore-token", "the-token"},
                       {"ms-aspnetcore-clientcert", "MIIB"},
                       {"te", "trailers"},
                       {"content-length", "12"}};
  EXPECT_EQ(head.fields, expected);
  EXPECT_FALSE(head.extended_connect);
}

// An HTTP/2 WebSocket stays an extended CONNECT (RFC 8441): :protocol after
// the other pseudo-header fields, a stream held open for the tunnel, no
// Content-Length, and the client's WebSocket fields as they came.
TEST(H2RequestHeadTest, AWebSocketGoesAsAnExtendedConnect) {
  outofproc::ClientRequest client;
  client.method = "CONNECT";
  client.target = "/ws";
  client.connect_protocol = "websocket";
  client.headers = {{"Host", "example.test"},
                    {"Sec-WebSocket-Version", "13"},
                    {"Sec-WebSocket-Protocol", "chat"}};
  client.remote_address = "10.0.0.1";
  client.remote_port = 5000;
  auto head = outofproc::build_h2_request(client, "the-token", 0);
  EXPECT_TRUE(head.extended_connect);
  EXPECT_TRUE(head.has_body);
  H2Fields expected = {{":method", "CONNECT"},
                       {":scheme", "http"},
                       {":authority", "example.test"},
                       {":path", "/ws"},
                       {":protocol", "websocket"},
                       {"sec-websocket-version", "13"},
                       {"sec-websocket-protocol", "chat"},
                       {"x-forwarded-for", "10.0.0.1:5000"},
                       {"x-forwarded-proto", "http"},
                       {"ms-aspnetcore-token", "the-token"}};
  EXPECT_EQ(head.fields, expected);
}

}  // namespace
}  // namespace ancm::test
