// The front end's HTTP/2 session (server/src/http2_*) on its own: the real
// session over loopback TCP in this process (tests/support's LoopbackServer),
// an nghttp2 client (h2_client.h) or frames written by hand, and the test as
// the handler through the request API. Scripted handlers answer on the
// server's thread; "/manual" requests are handed to the test, which acts
// step by step. Every wait is for an event, bounded only so a broken build fails.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/abi_strings.h"
#include "event_queue.h"
#include "h2_client.h"
#include "h2_frames.h"
#include "http_client.h"
#include "loopback_server.h"

namespace ancm::test {
namespace {

using abi::str;
using abi::to_string;
using namespace std::chrono_literals;

const ancm_request_api& api() { return LoopbackServer::api(); }

std::string header_of(ancm_request* request, std::string_view name) {
  std::size_t count = api().header_count(request);
  const ancm_kv* fields = api().headers(request);
  for (std::size_t i = 0; i < count; ++i) {
    if (abi::view(fields[i].name) == name) return to_string(fields[i].value);
  }
  return "<none>";
}

// Reads the whole body, then answers it back with the request trailers as
// x-trailer-<name> fields; a failed read answers nothing and completes.
struct Echo {
  ancm_request* request;
  std::string body;
  char buffer[4096];

  static void start(ancm_request* request) {
    auto echo = std::make_unique<Echo>();
    echo->request = request;
    echo->read(std::move(echo));
  }
  void read(std::unique_ptr<Echo> self) {
    api().read_body(request, buffer, sizeof buffer, &Echo::on_read, self.release());
  }
  static void on_read(void* ctx, int status, size_t bytes) {
    std::unique_ptr<Echo> self(static_cast<Echo*>(ctx));
    if (status < 0) return api().complete(self->request);
    if (bytes > 0) {
      self->body.append(self->buffer, bytes);
      auto* echo = self.get();
      return echo->read(std::move(self));
    }
    std::size_t count = 0;
    const ancm_kv* trailers = api().request_trailers(self->request, &count);
    for (std::size_t i = 0; i < count; ++i) {
      api().add_header(self->request, str("x-trailer-" + to_string(trailers[i].name)),
                       trailers[i].value);
    }
    api().write_body(self->request, self->body.data(), self->body.size(), nullptr, nullptr);
    api().complete(self->request);
  }
};

// Writes `left` bytes in pieces, each after the last one's callback; a
// failed write is reported to `failures`.
struct Big {
  ancm_request* request;
  std::size_t left;
  EventQueue<int>* failures;
  std::string piece = std::string(16 * 1024, 'x');

  static void on_written(void* ctx, int status, size_t) {
    std::unique_ptr<Big> self(static_cast<Big*>(ctx));
    if (status < 0) self->failures->push(status);
    if (status < 0 || self->left == 0) return api().complete(self->request);
    auto n = std::min(self->left, self->piece.size());
    self->left -= n;
    auto* big = self.get();
    api().write_body(big->request, big->piece.data(), n, &Big::on_written, self.release());
  }
};

class Http2SessionTest : public ::testing::Test {
 protected:
  Http2SessionTest() { limits_.max_body_bytes = 1024 * 1024; }

  void serve(server::HttpLimits limits) {
    server_ = std::make_unique<LoopbackServer>([this](ancm_request* r) { handle(r); }, limits);
  }
  void SetUp() override { serve(limits_); }

  void handle(ancm_request* request) {
    auto path = to_string(api().path(request));
    if (path == "/hello") {
      api().set_status(request, 201, str(""));
      api().add_header(request, str("X-Host"), str(header_of(request, "host")));
      api().add_header(request, str("X-Version"), str(std::to_string(api().http_version(request))));
      api().add_header(request, str("Connection"), str("close"));  // HTTP/1 only: dropped
      api().write_body(request, "hello", 5, nullptr, nullptr);
      return api().complete(request);
    }
    if (path == "/echo") return Echo::start(request);
    if (path == "/strict-echo") {  // a body slower than 240 B/s is refused after a second
      api().set_min_body_rate(request, 240, 1000);
      return Echo::start(request);
    }
    if (path == "/big") {
      auto big = std::make_unique<Big>(
          Big{request, std::stoul(to_string(api().query(request))), &write_failures_});
      return Big::on_written(big.release(), 0, 0);
    }
    if (path == "/trailers") {
      api().write_body(request, "body", 4, nullptr, nullptr);
      api().add_trailer(request, str("grpc-status"), str("0"));
      return api().complete(request);
    }
    requests_.push(request);  // "/manual": the test is the handler
  }

  ancm_request* next_request(H2Client& client) {
    client.run_until([&] { return requests_.size() > 0; });
    auto request = requests_.next(std::chrono::milliseconds(1));
    return request ? *request : nullptr;
  }

  server::HttpLimits limits_;
  EventQueue<ancm_request*> requests_;
  EventQueue<int> disconnects_;
  EventQueue<int> write_failures_;
  struct IoResult {
    int status;
    std::size_t bytes;
  };
  EventQueue<IoResult> io_;
  static void on_io(void* ctx, int status, size_t bytes) {
    static_cast<EventQueue<IoResult>*>(ctx)->push({status, bytes});
  }
  static void on_disconnect(void* ctx, int client_gone) {
    static_cast<EventQueue<int>*>(ctx)->push(client_gone);
  }
  std::unique_ptr<LoopbackServer> server_;
};

TEST_F(Http2SessionTest, AnswersAGetWithHostFromAuthorityAndVersion20) {
  H2Client client(server_->port());
  auto response = client.fetch(h2_get("/hello"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "hello");
  EXPECT_EQ(response->header("x-host"), "test");
  EXPECT_EQ(response->header("x-version"), "20");
  EXPECT_EQ(response->headers.count("connection"), 0u);
}

TEST_F(Http2SessionTest, EchoesAPostBodyLargerThanTheStreamWindow) {
  auto limits = limits_;
  limits.http2_stream_window = 16 * 1024;  // the upload needs many WINDOW_UPDATEs
  serve(limits);
  H2Client client(server_->port());
  std::string body(300 * 1024, 'b');
  for (std::size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
  auto response = client.fetch(h2_post("/echo", body));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, body);
}

TEST_F(Http2SessionTest, SendsALargeResponseThroughASmallClientWindow) {
  H2Client client(server_->port(), /*initial_window=*/1024);
  auto response = client.fetch(h2_get("/big?1000000"), std::chrono::seconds(30));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), 1000000u);
}

TEST_F(Http2SessionTest, HandsRequestTrailersToTheHandler) {
  H2Client client(server_->port());
  auto response = client.fetch(h2_post("/echo", "data", {{"x-checksum", "42"}}));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "data");
  EXPECT_EQ(response->header("x-trailer-x-checksum"), "42");
}

TEST_F(Http2SessionTest, SendsResponseTrailersInTheLastHeadersFrame) {
  H2Client client(server_->port());
  auto response = client.fetch(h2_get("/trailers"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "body");
  ASSERT_EQ(response->trailers.count("grpc-status"), 1u);
  EXPECT_EQ(response->trailers.find("grpc-status")->second, "0");
  EXPECT_EQ(response->close_code, 0u);
}

TEST_F(Http2SessionTest, BodyPastTheLimitIsAnswered413) {
  auto limits = limits_;
  limits.max_body_bytes = 1000;
  serve(limits);
  H2Client client(server_->port());
  auto response = client.fetch(h2_post("/echo", std::string(5000, 'x')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  // The connection goes on.
  auto next = client.fetch(h2_get("/hello"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 201);
}

TEST_F(Http2SessionTest, AWritePastTheContentLengthFailsAndSendsNothing) {
  H2Client client(server_->port());
  auto id = client.submit(h2_get("/manual"));
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  api().add_header(request, str("Content-Length"), str("5"));
  api().write_body(request, "hello", 5, nullptr, nullptr);
  api().write_body(request, "!", 1, &on_io, &io_);
  client.run_until([&] { return io_.size() > 0; });
  auto write = io_.next();
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, -EMSGSIZE);
  api().complete(request);
  ASSERT_TRUE(client.run_until_closed({id}));
  EXPECT_EQ(client.response(id).body, "hello");
  EXPECT_EQ(client.response(id).close_code, 0u);
}

TEST_F(Http2SessionTest, CompletingShortOfTheContentLengthResetsTheStream) {
  H2Client client(server_->port());
  auto id = client.submit(h2_get("/manual"));
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  api().add_header(request, str("Content-Length"), str("10"));
  api().write_body(request, "hello", 5, nullptr, nullptr);
  api().complete(request);
  ASSERT_TRUE(client.run_until_closed({id}));
  EXPECT_EQ(client.response(id).close_code, 0x2u);  // INTERNAL_ERROR
}

// HEAD and 304 carry no body: what is written is dropped, and the declared
// length (the resource's) is neither a limit nor owed.
TEST_F(Http2SessionTest, HeadAnd304SendNoBodyWhateverIsWritten) {
  H2Client client(server_->port());
  auto head = h2_get("/manual");
  head.method = "HEAD";
  auto head_id = client.submit(head);
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  api().add_header(request, str("Content-Length"), str("3"));
  api().write_body(request, "too long", 8, &on_io, &io_);
  api().complete(request);
  ASSERT_TRUE(client.run_until_closed({head_id}));
  EXPECT_EQ(client.response(head_id).status, 200);
  EXPECT_EQ(client.response(head_id).body, "");
  EXPECT_EQ(client.response(head_id).close_code, 0u);

  auto id = client.submit(h2_get("/manual"));
  request = next_request(client);
  ASSERT_NE(request, nullptr);
  api().set_status(request, 304, str(""));
  api().add_header(request, str("Content-Length"), str("100"));
  api().write_body(request, "abc", 3, nullptr, nullptr);
  api().complete(request);
  ASSERT_TRUE(client.run_until_closed({id}));
  EXPECT_EQ(client.response(id).status, 304);
  EXPECT_EQ(client.response(id).body, "");
  EXPECT_EQ(client.response(id).close_code, 0u);
}

// RFC 9113 section 8.1: a response that ends while the client still sends
// its body is followed by RST_STREAM NO_ERROR, so the client stops sending.
TEST_F(Http2SessionTest, CompletingWithTheBodyUnreadResetsTheUploadWithNoError) {
  HttpConnection raw(server_->port());
  raw.send(h2::client_start() +
           h2::frame(h2::kHeaders, h2::kEndHeaders, 1, h2::get_block("/manual")) +
           h2::frame(h2::kData, 0, 1, "part of a body that does not end"));
  auto request = requests_.next(std::chrono::seconds(10));
  ASSERT_TRUE(request);
  api().write_body(*request, "done", 4, nullptr, nullptr);
  api().complete(*request);
  auto bytes = raw.read_until(h2::rst_stream(1, 0), std::chrono::seconds(10));
  bool ended = false;
  std::optional<std::string> reset;
  for (const auto& frame : h2::parse_frames(bytes)) {
    if (frame.stream_id != 1) continue;
    if (frame.type == h2::kRstStream) reset = frame.payload;
    if (frame.type == h2::kData && (frame.flags & h2::kEndStream) != 0) ended = !reset;
  }
  EXPECT_TRUE(ended);  // the response ended cleanly first
  ASSERT_TRUE(reset);
  EXPECT_EQ(*reset, std::string(4, '\0'));  // NO_ERROR
}

// The Content-Length says the body is too large: 413 from the server before
// a byte of DATA arrived (the client waits for the answer), as an HTTP/1.1
// head declaring it gets; no handler sees the request.
TEST_F(Http2SessionTest, ADeclaredBodyOverTheLimitIsAnswered413BeforeTheHandler) {
  auto limits = limits_;
  limits.max_body_bytes = 1000;
  serve(limits);
  HttpConnection raw(server_->port());
  raw.send(h2::client_start() +
           h2::frame(h2::kHeaders, h2::kEndHeaders, 1,
                     h2::get_block("/manual") + h2::literal("content-length", "5000")));
  auto bytes = raw.read_until(h2::rst_stream(1, 0), std::chrono::seconds(10));
  EXPECT_EQ(h2::answered_status(bytes, 1), "413");
  EXPECT_EQ(requests_.size(), 0u);
}

// No Content-Length, and a handler that never reads: once the DATA received
// passes the limit, the server answers 413 (nothing of the response went
// out), and the rest of the upload is reset.
TEST_F(Http2SessionTest, ABodyPastTheLimitIsAnswered413EvenIfTheHandlerNeverReads) {
  auto limits = limits_;
  limits.max_body_bytes = 1000;
  serve(limits);
  H2Client client(server_->port());
  auto post = h2_post("/manual", std::string(5000, 'x'));
  auto id = client.submit(post);
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  ASSERT_TRUE(client.run_until_closed({id}));
  EXPECT_EQ(client.response(id).status, 413);
  // The handler's late answer goes nowhere, and the request ends normally.
  EXPECT_EQ(api().set_status(request, 200, str("")), -EALREADY);
  api().complete(request);
  auto next = client.fetch(h2_get("/hello"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 201);
}

// The rules an HTTP/1.1 head keeps (request_head_rules.h), for HTTP/2
// streams: the server answers, only that stream ends, no handler sees it.
TEST_F(Http2SessionTest, APathOverMaxUriBytesIsAnswered414) {
  auto limits = limits_;
  limits.max_uri_bytes = 100;
  serve(limits);
  H2Client client(server_->port());
  auto response = client.fetch(h2_get("/hello?" + std::string(100, 'q')));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 414);
  auto fits = client.fetch(h2_get("/hello?" + std::string(80, 'q')));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 201);
}

TEST_F(Http2SessionTest, AHostThatDiffersFromTheAuthorityIsAnswered400) {
  H2Client client(server_->port());
  auto other = h2_get("/hello");
  other.headers = {{"host", "elsewhere"}};
  auto refused = client.fetch(other);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  // The same authority, as RFC 3986 normalizes it: case, the default port.
  auto same = h2_get("/hello");
  same.headers = {{"host", "TEST:80"}};
  auto served = client.fetch(same);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->status, 201);
  EXPECT_EQ(served->header("x-host"), "TEST:80");
  EXPECT_EQ(requests_.size(), 0u);
}

// CONNECT without :protocol asks for a tunnel: we are no forward proxy (405,
// as for HTTP/1.1), and the connection serves on.
TEST_F(Http2SessionTest, AConnectWithoutProtocolIsAnswered405) {
  HttpConnection raw(server_->port());
  raw.send(
      h2::client_start() +
      h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                h2::literal(":method", "CONNECT") + h2::literal(":authority", "example.com:443")) +
      h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 3, h2::get_block("/hello")));
  auto bytes = raw.read_until("hello", std::chrono::seconds(10));
  EXPECT_EQ(h2::answered_status(bytes, 1), "405");
  EXPECT_EQ(h2::answered_status(bytes, 3), "201");
}

TEST_F(Http2SessionTest, AClientResetReachesTheHandlerAsClientGone) {
  H2Client client(server_->port());
  auto id = client.submit(h2_get("/manual"));
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  api().on_disconnect(request, &on_disconnect, &disconnects_);
  client.reset(id, 0x8);  // CANCEL
  client.run_until([&] { return disconnects_.size() > 0; });
  auto gone = disconnects_.next();
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1);
  api().write_body(request, "late", 4, &on_io, &io_);
  client.run_until([&] { return io_.size() > 0; });
  auto write = io_.next();
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, -ECONNRESET);
  api().complete(request);
  // The connection and its other streams go on.
  auto next = client.fetch(h2_get("/hello"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 201);
}

TEST_F(Http2SessionTest, ResetSendsRstStreamWithTheCode) {
  H2Client client(server_->port());
  auto id = client.submit(h2_get("/manual"));
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  api().reset(request, 0x8);
  ASSERT_TRUE(client.run_until_closed({id}));
  EXPECT_EQ(client.response(id).close_code, 0x8u);
  auto aborted = client.submit(h2_get("/manual"));
  request = next_request(client);
  ASSERT_NE(request, nullptr);
  api().abort(request);
  ASSERT_TRUE(client.run_until_closed({aborted}));
  EXPECT_EQ(client.response(aborted).close_code, 0x2u);  // INTERNAL_ERROR
}

TEST_F(Http2SessionTest, ServesManyConcurrentStreamsPastTheStreamLimit) {
  H2Client client(server_->port());
  std::vector<int32_t> ids;
  for (int i = 0; i < 250; ++i) ids.push_back(client.submit(h2_get("/hello")));
  ASSERT_TRUE(client.run_until_closed(ids, std::chrono::seconds(30)));
  for (auto id : ids) {
    EXPECT_EQ(client.response(id).status, 201);
    EXPECT_EQ(client.response(id).body, "hello");
  }
}

TEST_F(Http2SessionTest, DrainSendsGoawayAndClosesOnceTheStreamEnded) {
  H2Client client(server_->port());
  auto id = client.submit(h2_get("/manual"));
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  server_->drain_all();
  ASSERT_TRUE(client.run_until([&] { return client.goaway_received(); }));
  EXPECT_EQ(*client.goaway_code(), 0u);
  api().write_body(request, "last", 4, nullptr, nullptr);
  api().complete(request);
  ASSERT_TRUE(client.run_until_closed({id}));
  EXPECT_EQ(client.response(id).body, "last");
  EXPECT_TRUE(client.run_until([&] { return client.connection_closed(); }));
}

TEST_F(Http2SessionTest, Http1ClientsOnTheSamePortStillWork) {
  auto response = http_get(server_->port(), "/hello");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "hello");
}

TEST_F(Http2SessionTest, AHeaderListOverTheLimitEndsTheConnection) {
  HttpConnection raw(server_->port());
  // One field in the dynamic table, referenced until the decoded list is huge.
  std::string block =
      h2::get_block("/hello") + h2::literal_indexed("x-big", std::string(4000, 'a'));
  for (int i = 0; i < 100; ++i) block += h2::indexed(62);
  raw.send(h2::client_start() +
           h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1, block));
  auto bytes = raw.read_raw(std::chrono::seconds(5));
  EXPECT_EQ(h2::goaway_code(bytes), 0xbu);  // ENHANCE_YOUR_CALM
  H2Client client(server_->port());
  auto response = client.fetch(h2_get("/hello"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 201);
}

TEST_F(Http2SessionTest, AHeaderBlockThatNeverEndsTimesOut) {
  auto limits = limits_;
  limits.header_timeout = std::chrono::seconds(1);
  serve(limits);
  HttpConnection raw(server_->port());
  raw.send(h2::client_start() + h2::frame(h2::kHeaders, 0, 1, h2::get_block("/hello")));
  auto bytes = raw.read_raw(std::chrono::seconds(10));  // until the server closes
  EXPECT_EQ(h2::goaway_code(bytes), 0u);
  EXPECT_TRUE(raw.closed_by_peer(std::chrono::seconds(5)));
}

// Heads nghttp2 refuses never complete a first head: the idle wait between
// them is cut to what is left of the header budget from accept, so a client
// cannot keep a connection for the keep-alive timeout (120 s here) without
// ever sending a valid head.
TEST_F(Http2SessionTest, RefusedHeadsDoNotStretchTheFirstHeadsBudget) {
  auto limits = limits_;
  limits.header_timeout = std::chrono::seconds(1);
  limits.keepalive_timeout = std::chrono::seconds(120);
  serve(limits);
  H2Client client(server_->port());
  auto bad_request = h2_get("/hello");
  bad_request.headers = {{"connection", "keep-alive"}};
  auto bad = client.submit(bad_request);
  ASSERT_TRUE(client.run_until_closed({bad}));
  EXPECT_TRUE(client.run_until([&] { return client.goaway_received(); }, std::chrono::seconds(30)))
      << "the connection outlived its first head's budget";
}

// A head nghttp2 refuses (a connection-specific field) resets only its stream:
// its header timer goes with it, so the connection and a request in a
// handler outlive the header timeout.
TEST_F(Http2SessionTest, AMalformedHeadResetsItsStreamOnlyAndItsTimerGoesWithIt) {
  auto limits = limits_;
  limits.header_timeout = std::chrono::seconds(1);
  serve(limits);
  H2Client client(server_->port());
  auto held = client.submit(h2_get("/manual"));
  auto* request = next_request(client);
  ASSERT_NE(request, nullptr);
  auto bad_request = h2_get("/hello");
  bad_request.headers = {{"connection", "keep-alive"}};
  auto bad = client.submit(bad_request);
  ASSERT_TRUE(client.run_until_closed({bad}));
  EXPECT_NE(client.response(bad).close_code, 0u) << "status " << client.response(bad).status;
  // Past the header timeout: the connection is still there.
  client.run_until([] { return false; }, std::chrono::seconds(3));
  EXPECT_FALSE(client.goaway_received());
  api().write_body(request, "held", 4, nullptr, nullptr);
  api().complete(request);
  ASSERT_TRUE(client.run_until_closed({held}));
  EXPECT_EQ(client.response(held).body, "held");
}

// A client that opens every window and then reads nothing: the socket write
// stalls, and after io_timeout the connection closes and the handler's write fails.
TEST_F(Http2SessionTest, AWriteStalledPastTheIoTimeoutClosesTheConnection) {
  auto limits = limits_;
  limits.io_timeout = std::chrono::seconds(1);
  serve(limits);
  HttpConnection raw(server_->port());
  constexpr uint32_t kMaxWindow = 0x7fffffff;
  raw.send(std::string(h2::kPreface) + h2::settings({{0x4, kMaxWindow}}) +
           h2::window_update(0, kMaxWindow - 65535) +
           h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                     h2::get_block("/big?1000000000")));
  auto failure = write_failures_.next(std::chrono::seconds(30));
  ASSERT_TRUE(failure);
  EXPECT_EQ(*failure, -ECONNRESET);
}

// A client that never opens a stream's window: after io_timeout (two checks
// of the session's flow timer) the stream is reset with CANCEL and the
// handler's write fails; the connection serves other streams.
TEST_F(Http2SessionTest, AStreamWhoseWindowStaysShutIsResetAfterTheIoTimeout) {
  auto limits = limits_;
  limits.io_timeout = std::chrono::seconds(1);
  serve(limits);
  HttpConnection raw(server_->port());
  raw.send(
      std::string(h2::kPreface) + h2::settings({{0x4, 0}}) +
      h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1, h2::get_block("/big?100000")));
  auto failure = write_failures_.next(std::chrono::seconds(30));
  ASSERT_TRUE(failure);
  EXPECT_EQ(*failure, -ECONNRESET);
  auto bytes = raw.read_until(h2::rst_stream(1, 0x8), std::chrono::seconds(10));
  EXPECT_NE(bytes.find(h2::rst_stream(1, 0x8)), std::string::npos);  // CANCEL
  raw.send(h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 3, h2::get_block("/hello")) +
           h2::window_update(3, 1000));
  bytes = raw.read_until("hello", std::chrono::seconds(10));
  bool answered = false;
  for (const auto& frame : h2::parse_frames(bytes)) {
    if (frame.stream_id == 3 && frame.type == h2::kData) answered = frame.payload == "hello";
  }
  EXPECT_TRUE(answered);
}

// A POST whose body never comes: the handler's read is given up after the
// I/O timeout (the stream reset with CANCEL, the read failed), as HTTP/1.1
// closes a stalled body, and the connection's other streams go on.
TEST_F(Http2SessionTest, ABodyThatStopsComingIsResetAfterTheIoTimeout) {
  auto limits = limits_;
  limits.io_timeout = std::chrono::seconds(1);
  serve(limits);
  HttpConnection raw(server_->port());
  // :method POST (3), :scheme http (6); no END_STREAM, and no DATA after it.
  raw.send(h2::client_start() +
           h2::frame(h2::kHeaders, h2::kEndHeaders, 1,
                     h2::indexed(3) + h2::indexed(6) + h2::literal(":path", "/echo") +
                         h2::literal(":authority", "test")));
  auto bytes = raw.read_until(h2::rst_stream(1, 0x8), std::chrono::seconds(10));
  EXPECT_NE(bytes.find(h2::rst_stream(1, 0x8)), std::string::npos);  // CANCEL
  raw.send(h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 3, h2::get_block("/hello")));
  bytes = raw.read_until("hello", std::chrono::seconds(10));
  bool answered = false;
  for (const auto& frame : h2::parse_frames(bytes)) {
    if (frame.stream_id == 3 && frame.type == h2::kData) answered = frame.payload == "hello";
  }
  EXPECT_TRUE(answered);
}

// A body that trickles in under the stream's minimum rate: the server
// answers 408 once the reads waited past the grace period (the handler's
// read fails), and the connection's other streams go on.
TEST_F(Http2SessionTest, ABodyUnderTheMinimumRateGets408) {
  HttpConnection raw(server_->port());
  raw.send(h2::client_start() +
           h2::frame(h2::kHeaders, h2::kEndHeaders, 1,
                     h2::indexed(3) + h2::indexed(6) + h2::literal(":path", "/strict-echo") +
                         h2::literal(":authority", "test")));
  std::string bytes;
  {
    Trickle trickle(raw, h2::frame(h2::kData, 0, 1, "x"), 200ms);
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (h2::answered_status(bytes, 1).empty() && std::chrono::steady_clock::now() < deadline) {
      bytes += raw.read_raw(200ms);
    }
  }
  EXPECT_EQ(h2::answered_status(bytes, 1), "408");
  raw.send(h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 3, h2::get_block("/hello")));
  bytes = raw.read_until("hello", std::chrono::seconds(10));
  EXPECT_EQ(h2::answered_status(bytes, 3), "201");
}

}  // namespace
}  // namespace ancm::test
