// The front end's extended CONNECT (RFC 8441, server/src/http2_stream_tunnel.cpp):
// a CONNECT with :protocol websocket reaches the handler as a request it
// upgrades; the stream's DATA is then an ancm_stream both ways, with HTTP/2's
// flow control, END_STREAM as the end and RST_STREAM as a failure. The real
// session over loopback TCP (LoopbackServer), an nghttp2 client, the test as
// the handler. Every wait is for an event, bounded only so a broken build fails.
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <string>

#include "abi_events.h"
#include "ancm/abi_strings.h"
#include "event_queue.h"
#include "h2_client.h"
#include "http2_tunnel_state.h"
#include "loopback_server.h"

namespace ancm::test {
namespace {

using abi::str;
using abi::to_string;

const ancm_request_api& api() { return LoopbackServer::api(); }

H2Request extended_connect(std::string protocol, std::optional<std::string> data) {
  H2Request request;
  request.method = "CONNECT";
  request.path = "/ws";
  request.headers = {{":protocol", std::move(protocol)}, {"sec-websocket-version", "13"}};
  request.body = std::move(data);
  return request;
}

// A tunnel that echoes what it reads until the client's END_STREAM, then
// closes. The request is completed as soon as the stream is handed over:
// the tunnel outlives it.
struct TunnelEcho {
  ancm_stream* stream = nullptr;
  char buffer[8 * 1024];
  EventQueue<int>* ends;  // the status that ended the echo: 0 at END_STREAM

  static void on_upgraded(void* ctx, ancm_stream* stream) {
    auto* echo = static_cast<TunnelEcho*>(ctx);
    if (!stream) {
      echo->ends->push(-EPROTO);
      delete echo;
      return;
    }
    echo->stream = stream;
    echo->read();
  }
  void read() { api().stream_read(stream, buffer, sizeof buffer, &TunnelEcho::on_read, this); }
  static void on_read(void* ctx, int status, size_t bytes) {
    auto* echo = static_cast<TunnelEcho*>(ctx);
    if (status < 0 || bytes == 0) return echo->end(status);
    api().stream_write(echo->stream, echo->buffer, bytes, &TunnelEcho::on_written, echo);
  }
  static void on_written(void* ctx, int status, size_t) {
    auto* echo = static_cast<TunnelEcho*>(ctx);
    if (status < 0) return echo->end(status);
    echo->read();
  }
  void end(int status) {
    api().stream_close(stream);
    ends->push(status);
    delete this;
  }
};

class Http2TunnelTest : public ::testing::Test {
 protected:
  void serve(server::HttpLimits limits) {
    server_ = std::make_unique<LoopbackServer>([this](ancm_request* r) { handle(r); }, limits);
  }
  void SetUp() override { serve({}); }

  void handle(ancm_request* request) {
    seen_.push({to_string(api().method(request)), to_string(api().path(request)),
                to_string(api().connect_protocol(request)), api().has_body(request)});
    if (to_string(api().path(request)) == "/manual") return requests_.push(request);
    // A handler written for HTTP/1.1 sets 101: HTTP/2 sends it as 200.
    api().set_status(request, 101, str(""));
    api().add_header(request, str("x-tunnel"), str("yes"));
    api().add_header(request, str("Upgrade"), str("websocket"));  // connection-specific: dropped
    auto* echo = new TunnelEcho{};
    echo->ends = &ends_;
    api().upgrade(request, &TunnelEcho::on_upgraded, echo);
    api().complete(request);
  }

  struct Seen {
    std::string method, path, protocol;
    int has_body;
  };
  std::unique_ptr<LoopbackServer> server_;
  EventQueue<Seen> seen_;
  EventQueue<int> ends_;
  EventQueue<ancm_request*> requests_;
  StreamEvents streams_;
  DisconnectEvents disconnects_;
  IoEvents io_;
};

TEST_F(Http2TunnelTest, AWebSocketConnectIsTunnelledBothWaysAfterA200) {
  H2Client client(server_->port());
  auto response = client.fetch(extended_connect("websocket", "hello tunnel"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("x-tunnel"), "yes");
  EXPECT_EQ(response->headers.count("upgrade"), 0u);
  EXPECT_EQ(response->body, "hello tunnel");
  EXPECT_EQ(response->close_code, 0u);
  auto seen = seen_.next();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->method, "CONNECT");
  EXPECT_EQ(seen->path, "/ws");
  EXPECT_EQ(seen->protocol, "websocket");
  EXPECT_EQ(seen->has_body, 0) << "a tunnel's DATA is no request body";
  auto end = ends_.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 0) << "the client's END_STREAM is a read of 0 bytes";
}

// More than the stream's window each way: the window grows back as the
// handler reads, and its writes wait for the client's window.
TEST_F(Http2TunnelTest, CarriesMoreThanTheWindowsEachWay) {
  server::HttpLimits limits;
  limits.http2_stream_window = 16 * 1024;
  limits.max_body_bytes = 1024;  // a tunnel is no body: the limit does not bound it
  serve(limits);
  H2Client client(server_->port(), 16 * 1024);
  std::string data(300 * 1024, 'd');
  for (std::size_t i = 0; i < data.size(); i += 991) data[i] = static_cast<char>('a' + i % 26);
  auto response = client.fetch(extended_connect("websocket", data), std::chrono::seconds(30));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), data.size());
  EXPECT_TRUE(response->body == data);
}

TEST_F(Http2TunnelTest, AnUnknownProtocolIsAnswered501WithoutTheHandler) {
  H2Client client(server_->port());
  auto id = client.submit(extended_connect("not-a-protocol", std::nullopt));
  ASSERT_TRUE(client.run_until_closed({id}));
  EXPECT_EQ(client.response(id).status, 501);
  EXPECT_EQ(seen_.size(), 0u);
  // The connection goes on.
  auto next = client.fetch(extended_connect("websocket", "still here"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "still here");
}

TEST_F(Http2TunnelTest, APlainRequestIsNotUpgradedAndNoProtocolIsSeen) {
  H2Client client(server_->port());
  auto response = client.fetch(h2_get("/ws"));
  ASSERT_TRUE(response);
  auto seen = seen_.next();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->protocol, "");
  auto end = ends_.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, -EPROTO) << "upgrade hands NULL to a request that is no extended CONNECT";
}

// The client's END_STREAM is a read of 0 bytes; its RST_STREAM then reaches
// the handler as client_gone and fails the tunnel's reads and writes; the
// handler closes the stream and the connection goes on.
TEST_F(Http2TunnelTest, AClientResetFailsTheTunnel) {
  H2Client client(server_->port());
  auto request = extended_connect("websocket", std::nullopt);
  request.path = "/manual";
  auto id = client.submit(request);
  client.run_until([&] { return requests_.size() > 0; });
  auto handed = requests_.next();
  ASSERT_TRUE(handed);
  api().set_status(*handed, 200, str(""));
  api().on_disconnect(*handed, &DisconnectEvents::callback, &disconnects_);
  api().upgrade(*handed, &StreamEvents::callback, &streams_);
  client.run_until([&] { return streams_.size() > 0; });
  auto stream = streams_.next();
  ASSERT_TRUE(stream);
  ASSERT_NE(*stream, nullptr);
  ASSERT_TRUE(client.run_until([&] { return client.response(id).status == 200; }));
  char buffer[64];
  api().stream_read(*stream, buffer, sizeof buffer, &IoEvents::callback, &io_);
  client.run_until([&] { return io_.size() > 0; });
  auto end = io_.next();
  ASSERT_TRUE(end);
  EXPECT_EQ(end->status, 0);
  EXPECT_EQ(end->bytes, 0u);
  client.reset(id, 0x8);  // CANCEL
  client.run_until([&] { return disconnects_.size() > 0; });
  auto gone = disconnects_.next();
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, 1);
  api().stream_read(*stream, buffer, sizeof buffer, &IoEvents::callback, &io_);
  api().stream_write(*stream, "late", 4, &IoEvents::callback, &io_);
  client.run_until([&] { return io_.size() > 1; });
  for (int i = 0; i < 2; ++i) {
    auto failed = io_.next();
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, -ECONNRESET);
  }
  // Closed before the request ends: both orders are allowed.
  api().stream_close(*stream);
  api().complete(*handed);
  auto next = client.fetch(extended_connect("websocket", "after the reset"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "after the reset");
}

// The tunnel's phases go round once per stream object; nothing skips a step.
TEST(Http2TunnelPhaseTest, MovesOnlyNoneOpenClosedNone) {
  using server::Http2TunnelPhase;
  using T = Http2TunnelPhase;
  EXPECT_TRUE(server::is_legal(T::None, T::Open));
  EXPECT_TRUE(server::is_legal(T::Open, T::Closed));
  EXPECT_TRUE(server::is_legal(T::Closed, T::None));
  EXPECT_FALSE(server::is_legal(T::Open, T::None)) << "an open tunnel is never recycled";
  EXPECT_FALSE(server::is_legal(T::None, T::Closed));
  EXPECT_FALSE(server::is_legal(T::Closed, T::Open)) << "one upgrade per request";
  EXPECT_FALSE(server::is_legal(T::Open, T::Open));
  EXPECT_EQ(server::name(T::Closed), "Closed");
}

}  // namespace
}  // namespace ancm::test
