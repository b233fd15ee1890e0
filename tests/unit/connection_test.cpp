// The front end's Connection (server/src/connection.*) on its own: a real
// Connection over loopback TCP in this process (tests/support's
// LoopbackServer), a raw client, and the test acting as the handler through
// the request API, step by step. Every wait is for an event (a request handed
// over, a callback, bytes or the end of the stream at the client).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "abi_events.h"
#include "ancm/abi_strings.h"
#include "ancm/common/unique_fd.h"
#include "ancm/connection_executor.h"
#include "event_queue.h"
#include "http_client.h"
#include "loopback_server.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

using abi::str;
using abi::to_string;

// Counts the connection's reports of an illegal state transition (a bug,
// connection_state.h): every test below must end with none.
class IllegalTransitionSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Added to the logger once, before the first test's connections exist.
  static IllegalTransitionSink& installed() {
    static const auto sink = [] {
      auto made = std::make_shared<IllegalTransitionSink>();
      spdlog::default_logger()->sinks().push_back(made);
      return made;
    }();
    return *sink;
  }
  std::size_t count() const { return count_.load(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    if (msg.level >= spdlog::level::err && text.find("illegal") != std::string_view::npos) {
      ++count_;
    }
  }
  void flush_() override {}

 private:
  std::atomic<std::size_t> count_{0};
};

// The check below would pass vacuously if the sink heard nothing.
TEST(IllegalTransitionSinkTest, CountsTheConnectionsErrorReports) {
  auto& sink = IllegalTransitionSink::installed();
  auto before = sink.count();
  spdlog::warn("not an illegal transition report: a warning");
  spdlog::error("connection from test:0: illegal connection phase transition Closed -> Idle");
  EXPECT_EQ(sink.count(), before + 1);
}

// Data a handler keeps per connection: each release is queued for the test.
struct ReleaseEvents : EventQueue<std::string> {
  struct Data {
    ReleaseEvents* events;
    std::string name;
  };
  static void release(void* data) {
    std::unique_ptr<Data> owned(static_cast<Data*>(data));
    owned->events->push(owned->name);
  }
  void* make(std::string name) {
    return std::make_unique<Data>(Data{this, std::move(name)}).release();
  }
  static std::string name_of(void* data) { return data ? static_cast<Data*>(data)->name : ""; }
};

void other_release(void*) {}

// A 5-byte POST whose client waits for 100 (Continue) before its body.
constexpr char kPostAskingContinue[] =
    "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { illegal_before_ = IllegalTransitionSink::installed().count(); }
  void TearDown() override {
    EXPECT_EQ(IllegalTransitionSink::installed().count(), illegal_before_)
        << "the connection reported an illegal state transition (see the log)";
  }

  // The next request the server hands to the handler (nullptr if none came).
  ancm_request* next_request() {
    auto request = requests_.next();
    return request ? *request : nullptr;
  }

  std::string path(ancm_request* request) const { return to_string(api_.path(request)); }

  void watch_disconnect(ancm_request* request) {
    api_.on_disconnect(request, &DisconnectEvents::callback, &disconnects_);
  }

  // The 101 head of an upgrade to the test protocol "echo".
  void set_upgrade_head(ancm_request* request) {
    api_.set_status(request, 101, {nullptr, 0});
    api_.add_header(request, str("Connection"), str("Upgrade"));
    api_.add_header(request, str("Upgrade"), str("echo"));
  }

  // Upgrades the request to an "echo" stream and completes the request, as
  // a handler that keeps only the stream does: the stream, or null if none
  // came.
  ancm_stream* upgrade_and_complete(ancm_request* request) {
    set_upgrade_head(request);
    api_.upgrade(request, &StreamEvents::callback, &streams_);
    auto stream = streams_.next();
    api_.complete(request);
    return stream ? *stream : nullptr;
  }

  // A whole small response; the server frames it with a Content-Length.
  void answer(ancm_request* request, std::string_view body, int status = 200) {
    api_.set_status(request, status, {nullptr, 0});
    api_.write_body(request, body.data(), body.size(), nullptr, nullptr);
    api_.complete(request);
  }

  // The request body, read to its end; "<error N>" if a read fails.
  // Reads with a buffer of `capacity` bytes; each read's size goes to `pieces`.
  // A POST of `length` bytes whose head the client sent, its body to come; the
  // request's minimum body rate set to 240 B/s after a one-second grace.
  ancm_request* strict_upload(HttpConnection& client, std::size_t length) {
    client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) +
                "\r\n\r\n");
    auto* request = next_request();
    if (request && api_.set_min_body_rate(request, 240, 1000) != 0) return nullptr;
    return request;
  }

  std::string read_whole_body(ancm_request* request, std::size_t capacity = 4096,
                              std::vector<std::size_t>* pieces = nullptr) {
    std::string body;
    std::vector<char> buffer(capacity);
    for (;;) {
      api_.read_body(request, buffer.data(), buffer.size(), &IoEvents::callback, &reads_);
      auto read = reads_.next();
      if (!read) return "<no callback>";
      if (read->status < 0) return "<error " + std::to_string(read->status) + ">";
      if (read->bytes == 0) return body;
      if (pieces) pieces->push_back(read->bytes);
      body.append(buffer.data(), read->bytes);
    }
  }

  // After a request answered with `first_body`, the one pipelined behind it
  // is `next_path` and is answered too; both responses keep the connection.
  void expect_pipelined_answered(HttpConnection& client, const std::string& first_body,
                                 const std::string& next_path) {
    auto* next = next_request();
    ASSERT_NE(next, nullptr);
    EXPECT_EQ(path(next), next_path);
    answer(next, "next");
    auto first = client.read_response();
    auto second = client.read_response();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->body, first_body);
    EXPECT_TRUE(first->keep_alive);
    EXPECT_EQ(second->body, "next");
    EXPECT_TRUE(second->keep_alive);
  }

  // The connection carries on: a next request on it is answered.
  void expect_next_request_answered(HttpConnection& client) {
    client.send(get_request("/next"));
    auto* next = next_request();
    ASSERT_NE(next, nullptr);
    EXPECT_EQ(path(next), "/next");
    answer(next, "next");
    auto second = client.read_response();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, "next");
  }

  // A copy of the request's strand, usable after the request ended (when
  // its handle may be gone with the connection).
  abi::ConnectionExecutor strand_of(ancm_request* request) const {
    const auto* strand = abi::connection_executor(api_, request);
    EXPECT_NE(strand, nullptr);
    return *strand;
  }

  // Returns once everything the request API queued on the strand before
  // this call ran (the strand runs in order).
  static void wait_for(const abi::ConnectionExecutor& strand) {
    EventQueue<bool> ran;
    boost::asio::post(strand, [&ran] { ran.push(true); });
    ASSERT_TRUE(ran.next()) << "the connection's strand did not run";
  }

  std::size_t illegal_before_ = 0;
  const ancm_request_api& api_ = LoopbackServer::api();
  // What callbacks report; declared before the server, whose thread runs them.
  EventQueue<ancm_request*> requests_;
  IoEvents reads_, writes_;
  DisconnectEvents disconnects_;
  StreamEvents streams_;
  ReleaseEvents releases_;
  LoopbackServer server_{[this](ancm_request* request) { requests_.push(request); }};
};

TEST_F(ConnectionTest, PipelinedRequestsAreAnsweredInOrder) {
  HttpConnection client(server_.port());
  ASSERT_TRUE(client.connected());
  client.send(get_request("/first") + get_request("/second"));

  auto* first = next_request();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(path(first), "/first");
  watch_disconnect(first);
  answer(first, "one");
  expect_pipelined_answered(client, "one", "/second");

  EXPECT_EQ(disconnects_.next(), 0) << "the first request ended, the client stayed";
  EXPECT_EQ(disconnects_.size(), 0u) << "the disconnect callback runs once";
}

TEST_F(ConnectionTest, ContinueIsSentWhenTheHandlerReadsTheBody) {
  HttpConnection client(server_.port());
  client.send(kPostAskingContinue);
  auto* request = next_request();
  ASSERT_NE(request, nullptr);

  char buffer[16];
  api_.read_body(request, buffer, sizeof buffer, &IoEvents::callback, &reads_);
  EXPECT_EQ(client.read_until("\r\n\r\n", 10s), "HTTP/1.1 100 Continue\r\n\r\n");
  client.send("hello");
  auto read = reads_.next();
  ASSERT_TRUE(read);
  ASSERT_EQ(read->status, 0);
  std::string body(buffer, read->bytes);
  body += read_whole_body(request);
  EXPECT_EQ(body, "hello");

  answer(request, "stored");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "stored");
  EXPECT_TRUE(response->keep_alive);
}

// The client holds the body back until it hears 100: a handler that answers
// without reading it gets no 100 sent, and the connection ends with the
// response (the body never came, so the next request cannot be found).
TEST_F(ConnectionTest, NoContinueWhenTheHandlerAnswersWithoutReading) {
  HttpConnection client(server_.port());
  client.send(kPostAskingContinue);
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  answer(request, "not wanted", 413);

  std::string received = client.read_raw(10s);  // to the end of the stream
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(received.find("100 Continue"), std::string::npos) << received;
  EXPECT_EQ(received.rfind("HTTP/1.1 413 ", 0), 0u) << received;
  EXPECT_NE(received.find("Connection: close\r\n"), std::string::npos) << received;
  EXPECT_EQ(disconnects_.next(), 0);
  EXPECT_EQ(disconnects_.size(), 0u);
}

// Writes the client is not reading (32 MiB fit in no loopback buffer), then
// abort: every write's callback runs once, those not sent with a negative
// status, and the client sees the connection end short of the body.
TEST_F(ConnectionTest, AbortFailsPendingWritesAndClosesTheConnection) {
  HttpConnection client(server_.port());
  client.send(get_request("/large"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);

  constexpr int kWrites = 4;
  const std::string piece(8 << 20, 'x');
  api_.set_status(request, 200, {nullptr, 0});
  for (int i = 0; i < kWrites; ++i) {
    api_.write_body(request, piece.data(), piece.size(), &IoEvents::callback, &writes_);
  }
  api_.abort(request);

  std::vector<IoResult> results;
  for (int i = 0; i < kWrites; ++i) {
    auto result = writes_.next();
    ASSERT_TRUE(result) << "write " << i << " never called back";
    results.push_back(*result);
  }
  EXPECT_LT(results.back().status, 0);
  for (const auto& result : results) {
    if (result.status < 0) {
      EXPECT_EQ(result.bytes, 0u);
    }
  }
  std::string received = client.read_raw(10s);
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_LT(received.size(), kWrites * piece.size());

  EXPECT_EQ(disconnects_.next(), 0) << "the handler ended the request itself";
  EXPECT_EQ(writes_.size(), 0u) << "each write calls back once";
  EXPECT_EQ(disconnects_.size(), 0u);
}

// The 101 goes out although the connection's read is pending at the time
// of the upgrade (the server always watches the client during a request);
// bytes sent right behind the request are the stream's first.
TEST_F(ConnectionTest, UpgradeWithAReadPendingTurnsTheConnectionIntoAStream) {
  HttpConnection client(server_.port());
  client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly");
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  ancm_stream* stream = upgrade_and_complete(request);
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(client.read_until("\r\n\r\n", 10s).rfind("HTTP/1.1 101 ", 0), 0u);

  char buffer[64];
  api_.stream_read(stream, buffer, sizeof buffer, &IoEvents::callback, &reads_);
  auto read = reads_.next();
  ASSERT_TRUE(read);
  EXPECT_EQ(std::string(buffer, read->bytes), "early");

  api_.stream_read(stream, buffer, sizeof buffer, &IoEvents::callback, &reads_);
  client.send("ping");
  read = reads_.next();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 0);
  EXPECT_EQ(std::string(buffer, read->bytes), "ping");

  api_.stream_write(stream, "pong", 4, &IoEvents::callback, &writes_);
  auto written = writes_.next();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, 0);
  EXPECT_EQ(client.read_until("pong", 10s), "pong");

  api_.stream_read(stream, buffer, sizeof buffer, &IoEvents::callback, &reads_);
  client.close();
  read = reads_.next();
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, 0);
  EXPECT_EQ(read->bytes, 0u) << "the client's end of stream";
  api_.stream_close(stream);

  EXPECT_EQ(disconnects_.next(), 0);
  EXPECT_EQ(disconnects_.size(), 0u);
}

// An idle keep-alive connection closes on drain without a request (after a
// short grace for a request already on its way).
TEST_F(ConnectionTest, DrainClosesAnIdleConnection) {
  HttpConnection client(server_.port());
  ASSERT_TRUE(server_.wait_accepted(1));
  server_.drain_all();
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(requests_.size(), 0u);
}

TEST_F(ConnectionTest, DrainClosesABusyConnectionAfterItsResponse) {
  HttpConnection client(server_.port());
  client.send(get_request("/busy"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  server_.drain_all();
  answer(request, "done");

  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "done");
  EXPECT_FALSE(response->keep_alive);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(disconnects_.next(), 0);
  EXPECT_EQ(disconnects_.size(), 0u);
}

TEST_F(ConnectionTest, AnUnreadBodyIsDiscardedAndTheConnectionCarriesOn) {
  HttpConnection client(server_.port());
  client.send("POST /unread HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789" +
              get_request("/next"));
  auto* unread = next_request();
  ASSERT_NE(unread, nullptr);
  watch_disconnect(unread);
  answer(unread, "skipped");

  auto* next = next_request();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(path(next), "/next") << "the body's bytes were not read as a request";
  answer(next, "next");

  auto first = client.read_response();
  auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "skipped");
  EXPECT_TRUE(first->keep_alive);
  EXPECT_EQ(second->body, "next");
  EXPECT_EQ(disconnects_.next(), 0);
  EXPECT_EQ(disconnects_.size(), 0u);
}

// Discarding is bounded (1 MiB): past it the connection closes instead.
TEST_F(ConnectionTest, AnUnreadBodyTooLargeToDiscardClosesTheConnection) {
  HttpConnection client(server_.port());
  client.send("POST /unread HTTP/1.1\r\nHost: t\r\nContent-Length: 20000000\r\n\r\n");
  auto sent = client.send_in_background(std::string(3 << 20, 'b'));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  answer(request, "skipped");

  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "skipped");
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(requests_.size(), 0u);
  EXPECT_EQ(disconnects_.next(), 0);
  EXPECT_EQ(disconnects_.size(), 0u);
  sent.wait();
}

// A malformed chunk: the server answers 400 itself (nothing of the response
// went out), the handler's read fails with -EBADMSG and its writes are
// refused; the handler still ends the request.
TEST_F(ConnectionTest, AMalformedChunkedBodyGets400AndFailsTheRead) {
  HttpConnection client(server_.port());
  client.send(
      "POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "zz\r\nhello\r\n0\r\n\r\n");
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  EXPECT_EQ(read_whole_body(request), "<error " + std::to_string(-EBADMSG) + ">");

  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_FALSE(response->keep_alive);

  api_.write_body(request, "late", 4, &IoEvents::callback, &writes_);
  auto refused = writes_.next();
  ASSERT_TRUE(refused);
  EXPECT_LT(refused->status, 0);
  auto strand = strand_of(request);
  api_.complete(request);
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(disconnects_.next(), 0);
  wait_for(strand);
  EXPECT_EQ(disconnects_.size(), 0u);
}

// The client going away is told at once, and only once: not again when the
// handler ends the request later.
TEST_F(ConnectionTest, TheClientGoingAwayIsToldOnce) {
  HttpConnection client(server_.port());
  client.send(get_request("/held"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  client.close();
  EXPECT_EQ(disconnects_.next(), 1);

  api_.write_body(request, "late", 4, &IoEvents::callback, &writes_);
  auto refused = writes_.next();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, -ECONNRESET);
  auto strand = strand_of(request);
  api_.complete(request);
  wait_for(strand);
  EXPECT_EQ(disconnects_.size(), 0u);
}

// A body read to its end and a request pipelined right behind it: the
// watch's read, pending when the first request ends, is cancelled and the
// second head is read from what it brought.
TEST_F(ConnectionTest, ARequestPipelinedBehindABodyIsReadAfterIt) {
  HttpConnection client(server_.port());
  client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
              get_request("/after"));
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(read_whole_body(upload), "hello");
  answer(upload, "stored");
  expect_pipelined_answered(client, "stored", "/after");
}

// A body that is already here fills a large read at once (what the socket
// holds goes straight into the handler's buffer, not through the
// connection's short read-ahead), and no read takes a byte past the body: the
// request sent behind it in the same write is served next.
TEST_F(ConnectionTest, ABodyThatArrivedFillsALargeReadAndStopsAtItsEnd) {
  std::string payload(200 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);
  HttpConnection client(server_.port());
  client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " +
              std::to_string(payload.size()) + "\r\n\r\n" + payload + get_request("/after"));
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  std::vector<std::size_t> pieces;
  EXPECT_EQ(read_whole_body(upload, 64 * 1024, &pieces), payload);
  ASSERT_FALSE(pieces.empty());
  EXPECT_EQ(*std::max_element(pieces.begin(), pieces.end()), 64u * 1024)
      << "no read was filled, in " << pieces.size() << " reads";
  answer(upload, "stored");
  expect_pipelined_answered(client, "stored", "/after");
}

// A chunked body of one-byte chunks, all arrived: its bytes come in reads as
// full as the buffer allows, not one read per chunk (a client could make the
// handler pay a read for every five bytes on the wire).
TEST_F(ConnectionTest, TinyChunksThatArrivedFillOneRead) {
  std::string payload, wire;
  for (int i = 0; i < 300; ++i) {
    payload += static_cast<char>('a' + i % 26);
    wire += std::string("1\r\n") + payload.back() + "\r\n";
  }
  HttpConnection client(server_.port());
  client.send("POST /tiny HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + wire +
              "0\r\n\r\n");
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  std::vector<std::size_t> pieces;
  EXPECT_EQ(read_whole_body(upload, 4096, &pieces), payload);
  // The 1.8 KB on the wire may come in more than one segment, never in 300.
  EXPECT_LE(pieces.size(), 4u) << "reads of " << pieces.front() << ", ... bytes";
  answer(upload, "stored");
  auto stored = client.read_response();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body, "stored");
  expect_next_request_answered(client);
}

// A body that trickles in under the minimum rate (Kestrel's
// MinRequestBodyDataRate) is given up once the reads waited past the grace
// period: the read fails with -ETIMEDOUT, the client gets 408 and the
// connection closes. An app that merely reads slowly is not blamed: only the
// reads' waits count.
TEST_F(ConnectionTest, ABodyUnderTheMinimumRateGets408AfterTheGracePeriod) {
  HttpConnection client(server_.port());
  auto* request = strict_upload(client, 1000);
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(api_.set_min_body_rate(request, 240, 999), -EINVAL) << "the check runs once a second";
  std::string body;
  auto started = std::chrono::steady_clock::now();
  {
    Trickle trickle(client, "x", 200ms);  // 5 bytes a second
    body = read_whole_body(request, 4096);
  }
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(body, "<error " + std::to_string(-ETIMEDOUT) + ">");
  EXPECT_GE(took, 1s) << "given up before the grace period ended";
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_FALSE(response->keep_alive);
  api_.complete(request);
}

// A handler that echoes each piece as it comes writes while it reads: the
// writes' own timeouts must not take the reads' deadline with them. Its
// response began, so the slow body cuts it short (the connection closes).
TEST_F(ConnectionTest, AnEchoingHandlersBodyIsStillHeldToTheMinimumRate) {
  HttpConnection client(server_.port());
  // Six seconds of trickle: all of it would be read if the reads' deadline were lost.
  auto* request = strict_upload(client, 30);
  ASSERT_NE(request, nullptr);
  int status = 0;
  {
    Trickle trickle(client, "x", 200ms);  // 5 bytes a second
    std::vector<char> buffers[2] = {std::vector<char>(4096), std::vector<char>(4096)};
    api_.read_body(request, buffers[0].data(), 4096, &IoEvents::callback, &reads_);
    for (int reads = 0; reads < 100; ++reads) {
      auto read = reads_.next();
      ASSERT_TRUE(read);
      status = read->status;
      if (status < 0) break;
      // The next read waits while this piece is written.
      auto& next = buffers[(reads + 1) % 2];
      api_.read_body(request, next.data(), next.size(), &IoEvents::callback, &reads_);
      api_.write_body(request, buffers[reads % 2].data(), read->bytes, nullptr, nullptr);
      api_.flush(request, nullptr, nullptr);
    }
  }
  EXPECT_EQ(status, -ETIMEDOUT) << "the body was read to its end, or a read failed otherwise";
  EXPECT_TRUE(client.closed_by_peer());
  api_.complete(request);
}

// The handler turns the minimum off for a body that comes at the client's
// pace (a gRPC client stream): the same trickle is read to its end.
TEST_F(ConnectionTest, ABodyMayTrickleOnceTheHandlerTurnsTheMinimumRateOff) {
  HttpConnection client(server_.port());
  auto* request = strict_upload(client, 12);
  ASSERT_NE(request, nullptr);
  ASSERT_EQ(api_.set_min_body_rate(request, 0, 0), 0);
  std::string body;
  {
    Trickle trickle(client, "x", 200ms);  // 5 bytes a second
    body = read_whole_body(request, 4096);
  }
  EXPECT_EQ(body, std::string(12, 'x'));
  answer(request, "stored");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

// The minimum turned off while a read waits (an app that sets the feature
// once its read began): the read's rate deadline goes, the body comes.
TEST_F(ConnectionTest, TurningTheMinimumRateOffWhileAReadWaitsTakesEffectAtOnce) {
  HttpConnection client(server_.port());
  auto* request = strict_upload(client, 12);
  ASSERT_NE(request, nullptr);
  std::vector<char> buffer(4096);
  api_.read_body(request, buffer.data(), buffer.size(), &IoEvents::callback, &reads_);
  std::this_thread::sleep_for(300ms);  // the read waits, its deadline a second away
  ASSERT_EQ(api_.set_min_body_rate(request, 0, 0), 0);
  std::this_thread::sleep_for(1s);  // past the deadline the read had
  std::string body;
  {
    Trickle trickle(client, "x", 200ms);  // 2.4 s for the body
    auto first = reads_.next();
    ASSERT_TRUE(first);
    ASSERT_EQ(first->status, 0);
    body.append(buffer.data(), first->bytes);
    body += read_whole_body(request, 4096);
  }
  EXPECT_EQ(body, std::string(12, 'x'));
  answer(request, "stored");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

// A response without a Content-Length goes out chunked, ends with the last
// chunk, and the connection carries the next request. Once the head is out
// it cannot change.
TEST_F(ConnectionTest, AChunkedResponseEndsAndTheConnectionCarriesOn) {
  HttpConnection client(server_.port());
  client.send(get_request("/stream"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(api_.set_status(request, 200, {nullptr, 0}), 0);
  api_.write_body(request, "one,", 4, &IoEvents::callback, &writes_);
  api_.flush(request, &IoEvents::callback, &writes_);
  for (int i = 0; i < 2; ++i) {
    auto written = writes_.next();
    ASSERT_TRUE(written);
    EXPECT_EQ(written->status, 0);
  }
  EXPECT_EQ(api_.set_status(request, 500, {nullptr, 0}), -EALREADY) << "the head is out";
  EXPECT_EQ(api_.add_header(request, str("X-Late"), str("1")), -EALREADY);
  api_.write_body(request, "two", 3, nullptr, nullptr);
  api_.complete(request);

  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("transfer-encoding"), "chunked");
  EXPECT_EQ(response->body, "one,two");
  EXPECT_FALSE(response->has_header("x-late"));
  EXPECT_TRUE(response->keep_alive);

  expect_next_request_answered(client);
}

// Trailer fields a handler adds while the chunked body goes out are sent in
// its last chunk; once that is out, add_trailer says so. A field HTTP
// forbids as a trailer is refused.
TEST_F(ConnectionTest, TrailersGoInTheLastChunkOfAChunkedResponse) {
  HttpConnection client(server_.port());
  client.send(get_request("/trailers", "Connection: close\r\n"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  api_.write_body(request, "body", 4, nullptr, nullptr);
  api_.flush(request, &IoEvents::callback, &writes_);
  auto flushed = writes_.next();
  ASSERT_TRUE(flushed);
  EXPECT_EQ(api_.add_trailer(request, str("grpc-status"), str("0")), 0);
  EXPECT_EQ(api_.add_trailer(request, str("Content-Length"), str("4")), -EINVAL);
  EXPECT_EQ(api_.add_trailer(request, str("x-checksum"), str("a\r\nb")), -EINVAL);
  api_.complete(request);

  auto bytes = client.read_raw(10s);
  EXPECT_NE(bytes.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << bytes;
  auto body = bytes.substr(bytes.find("\r\n\r\n") + 4);
  EXPECT_EQ(body, "4\r\nbody\r\n0\r\ngrpc-status: 0\r\n\r\n");
}

// 100-continue on a keep-alive connection: the 100 goes out once, the body
// is read, and a second request on the connection asks for nothing.
TEST_F(ConnectionTest, ContinueIsSentOnceAndTheNextRequestFollows) {
  HttpConnection client(server_.port());
  client.send(
      "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  char buffer[1];
  api_.read_body(upload, buffer, sizeof buffer, &IoEvents::callback, &reads_);
  EXPECT_EQ(client.read_until("\r\n\r\n", 10s), "HTTP/1.1 100 Continue\r\n\r\n");
  client.send("ok" + get_request("/next"));
  auto read = reads_.next();
  ASSERT_TRUE(read);
  ASSERT_EQ(read->status, 0);
  std::string body(buffer, read->bytes);
  body += read_whole_body(upload);  // a second read: no second 100
  EXPECT_EQ(body, "ok");
  answer(upload, "stored");

  auto* next = next_request();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(path(next), "/next");
  answer(next, "next");
  auto first = client.read_response();
  auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200) << "the 100 is not read as the response";
  EXPECT_EQ(first->body, "stored");
  EXPECT_TRUE(first->keep_alive);
  EXPECT_EQ(second->body, "next");
}

// The body read that sends the 100 and the response's first write, from
// another thread at once: the 100 goes through the response's write queue,
// so the client gets exactly the 100, then one well-formed response (never
// two writes at once on the socket), and the body read completes.
TEST_F(ConnectionTest, ContinueAndAResponseWrittenMeanwhileGoOutInOrder) {
  HttpConnection client(server_.port());
  client.send(kPostAskingContinue);
  auto* request = next_request();
  ASSERT_NE(request, nullptr);

  char buffer[16];
  // Posted to the strand before the writer thread starts: the read comes first.
  api_.read_body(request, buffer, sizeof buffer, &IoEvents::callback, &reads_);
  std::thread writer([this, request] {
    api_.set_status(request, 200, {nullptr, 0});
    api_.add_header(request, str("Content-Length"), str("6"));
    api_.write_body(request, "stored", 6, &IoEvents::callback, &writes_);
  });
  writer.join();
  std::string received = client.read_until("stored", 10s);
  constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  ASSERT_EQ(received.substr(0, kContinue.size()), kContinue) << received;
  std::string response = received.substr(kContinue.size());
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << received;
  EXPECT_EQ(response.find("HTTP/1.1", 1), std::string::npos) << "one response: " << received;
  EXPECT_NE(response.find("\r\nContent-Length: 6\r\n"), std::string::npos) << received;
  EXPECT_EQ(response.substr(response.find("\r\n\r\n")), "\r\n\r\nstored") << received;
  auto written = writes_.next();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, 0);

  client.send("hello");
  auto read = reads_.next();
  ASSERT_TRUE(read);
  ASSERT_EQ(read->status, 0);
  std::string body(buffer, read->bytes);
  body += read_whole_body(request);
  EXPECT_EQ(body, "hello");
  api_.complete(request);

  // The response kept the connection: its framing was whole.
  client.send(get_request("/next"));
  auto* next = next_request();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(path(next), "/next");
  answer(next, "next");
  auto second = client.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->body, "next");
}

// The client goes away with writes pending; the handler's abort after that
// ends the request without a second disconnect call, and every write calls
// back once.
TEST_F(ConnectionTest, AbortAfterTheClientWentAwayWithWritesPending) {
  auto client = std::make_unique<HttpConnection>(server_.port());
  client->send(get_request("/large"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  const std::string piece(8 << 20, 'x');
  api_.set_status(request, 200, {nullptr, 0});
  api_.write_body(request, piece.data(), piece.size(), &IoEvents::callback, &writes_);
  api_.write_body(request, piece.data(), piece.size(), &IoEvents::callback, &writes_);
  client.reset();
  EXPECT_EQ(disconnects_.next(), 1);
  for (int i = 0; i < 2; ++i) {
    auto result = writes_.next();
    ASSERT_TRUE(result) << "write " << i << " never called back";
  }
  auto strand = strand_of(request);
  api_.abort(request);
  wait_for(strand);
  EXPECT_EQ(disconnects_.size(), 0u);
  EXPECT_EQ(writes_.size(), 0u);
}

// An upgrade needs a 101: without it the callback gets no stream, and the
// request goes on as plain HTTP on the same connection.
TEST_F(ConnectionTest, UpgradeWithoutA101IsRefusedAndTheRequestGoesOn) {
  HttpConnection client(server_.port());
  client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  api_.set_status(request, 200, {nullptr, 0});
  api_.upgrade(request, &StreamEvents::callback, &streams_);
  auto stream = streams_.next();
  ASSERT_TRUE(stream);
  EXPECT_EQ(*stream, nullptr);
  answer(request, "plain");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "plain");

  expect_next_request_answered(client);
}

// A second upgrade of the same request, asked while the first waits for its
// 101, is refused; the first one's stream works.
TEST_F(ConnectionTest, ASecondUpgradeIsRefused) {
  HttpConnection client(server_.port());
  client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  set_upgrade_head(request);
  StreamEvents second;
  api_.upgrade(request, &StreamEvents::callback, &streams_);
  api_.upgrade(request, &StreamEvents::callback, &second);
  auto refused = second.next();
  ASSERT_TRUE(refused);
  EXPECT_EQ(*refused, nullptr);
  auto stream = streams_.next();
  ASSERT_TRUE(stream);
  ASSERT_NE(*stream, nullptr);
  api_.complete(request);
  EXPECT_EQ(client.read_until("\r\n\r\n", 10s).rfind("HTTP/1.1 101 ", 0), 0u);

  api_.stream_write(*stream, "hi", 2, &IoEvents::callback, &writes_);
  auto written = writes_.next();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, 0);
  EXPECT_EQ(client.read_until("hi", 10s), "hi");
  api_.stream_close(*stream);
  EXPECT_TRUE(client.closed_by_peer(10s));
}

// A drain while a request is served and another is pipelined behind it: the
// response says close, the pipelined request never reaches the handler.
TEST_F(ConnectionTest, DrainWithARequestPipelinedEndsAfterTheCurrentOne) {
  HttpConnection client(server_.port());
  client.send(get_request("/busy") + get_request("/behind"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  server_.drain_all();
  answer(request, "done");

  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(requests_.size(), 0u) << "the pipelined request was not handed over";
}

// A head the server refuses is answered by the server itself, never handed
// to the handler, and the connection closes.
TEST_F(ConnectionTest, ARefusedHeadIsAnsweredByTheServer) {
  HttpConnection client(server_.port());
  client.send("GET /a HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_FALSE(response->keep_alive);
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(requests_.size(), 0u);
}

// complete() right after upgrade(), before its callback: the 101 still goes
// out once, as the upgrade's head, the stream works, and the request ends
// after it (its disconnect callback runs once).
TEST_F(ConnectionTest, CompleteBeforeTheUpgradeCallbackEndsTheRequestAfterThe101) {
  HttpConnection client(server_.port());
  client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  set_upgrade_head(request);
  // Both in one strand turn: the 101 cannot have gone out in between.
  boost::asio::post(strand_of(request), [this, request] {
    api_.upgrade(request, &StreamEvents::callback, &streams_);
    api_.complete(request);
  });
  auto stream = streams_.next();
  ASSERT_TRUE(stream);
  ASSERT_NE(*stream, nullptr);
  EXPECT_EQ(disconnects_.next(), 0) << "the request ended after the 101";

  api_.stream_write(*stream, "pong", 4, &IoEvents::callback, &writes_);
  auto written = writes_.next();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, 0);
  std::string received = client.read_until("pong", 10s);
  EXPECT_EQ(received.rfind("HTTP/1.1 101 ", 0), 0u) << received;
  EXPECT_EQ(received.find("HTTP/1.1", 1), std::string::npos) << "one head: " << received;
  EXPECT_EQ(received.find("Connection: close"), std::string::npos) << received;
  EXPECT_EQ(received.substr(received.size() - 4), "pong");
  api_.stream_close(*stream);
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(disconnects_.size(), 0u);
}

// An upgraded connection whose request already ended (the proxy's tunnel
// completes its request right after the 101) is not an idle keep-alive
// connection: a drain leaves it to its handler, as it leaves an in-process
// WebSocket whose request is still current, rather than closing it after the
// idle grace. (Proving that nothing happens needs a window: 2 s is twice the
// grace, which is what used to close it.)
TEST_F(ConnectionTest, DrainLeavesAnUpgradedStreamWhoseRequestEndedToItsHandler) {
  HttpConnection client(server_.port());
  client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  ancm_stream* stream = upgrade_and_complete(request);
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(client.read_until("\r\n\r\n", 10s).rfind("HTTP/1.1 101 ", 0), 0u);

  server_.drain_all();
  EXPECT_FALSE(client.closed_by_peer(2s));
  api_.stream_write(stream, "pong", 4, &IoEvents::callback, &writes_);
  auto written = writes_.next();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, 0);
  EXPECT_EQ(client.read_until("pong", 10s), "pong");
  api_.stream_close(stream);
  EXPECT_TRUE(client.closed_by_peer(10s));
}

// abort() right after upgrade(): no stream, the connection closes, and the
// request's disconnect callback runs once.
TEST_F(ConnectionTest, AbortBeforeTheUpgradeCallbackRefusesTheStream) {
  HttpConnection client(server_.port());
  client.send("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  api_.set_status(request, 101, {nullptr, 0});
  auto strand = strand_of(request);
  boost::asio::post(strand, [this, request] {
    api_.upgrade(request, &StreamEvents::callback, &streams_);
    api_.abort(request);
  });
  auto stream = streams_.next();
  ASSERT_TRUE(stream);
  EXPECT_EQ(*stream, nullptr);
  EXPECT_TRUE(client.closed_by_peer(10s));
  EXPECT_EQ(disconnects_.next(), 0);
  wait_for(strand);
  EXPECT_EQ(disconnects_.size(), 0u);
}

// The handler's per-connection data: the same for the connection's next
// request, never another handler's, released once on replacement and once
// when the connection closes (after the request that was current then).
TEST_F(ConnectionTest, ConnectionDataLivesAsLongAsTheConnection) {
  HttpConnection client(server_.port());
  client.send(get_request("/first"));
  auto* first = next_request();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(ANCM_ABI_HAS(ancm_request_api, &api_, set_connection_data));
  EXPECT_EQ(api_.connection_data(first, &ReleaseEvents::release), nullptr);
  ASSERT_EQ(api_.set_connection_data(first, releases_.make("a"), &ReleaseEvents::release), 0);
  ASSERT_EQ(api_.set_connection_data(first, releases_.make("b"), &ReleaseEvents::release), 0);
  EXPECT_EQ(releases_.next(), "a") << "replacing releases the value replaced";
  answer(first, "one");
  ASSERT_TRUE(client.read_response());

  client.send(get_request("/second"));
  auto* second = next_request();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(ReleaseEvents::name_of(api_.connection_data(second, &ReleaseEvents::release)), "b");
  EXPECT_EQ(api_.connection_data(second, &other_release), nullptr) << "another handler's data";
  watch_disconnect(second);
  client.close();
  EXPECT_EQ(disconnects_.next(), 1);
  // Closed during the request: the value stays until that request ends.
  EXPECT_EQ(ReleaseEvents::name_of(api_.connection_data(second, &ReleaseEvents::release)), "b");
  EXPECT_EQ(releases_.size(), 0u);
  auto strand = strand_of(second);
  api_.complete(second);
  EXPECT_EQ(releases_.next(), "b");
  wait_for(strand);
  EXPECT_EQ(releases_.size(), 0u) << "released exactly once";
}

// Between requests, the connection closing releases the data at once.
TEST_F(ConnectionTest, ConnectionDataIsReleasedWhenAnIdleConnectionCloses) {
  HttpConnection client(server_.port());
  client.send(get_request("/only"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  ASSERT_EQ(api_.set_connection_data(request, releases_.make("kept"), &ReleaseEvents::release), 0);
  answer(request, "one");
  ASSERT_TRUE(client.read_response());
  EXPECT_EQ(releases_.size(), 0u) << "kept for the connection's next request";
  client.close();
  EXPECT_EQ(releases_.next(), "kept");
}

// ------------------------------------------------------------ pipe pieces

// A pipe holding bytes, as a proxy's splice from its own socket leaves it.
class FilledPipe {
 public:
  explicit FilledPipe(std::string_view bytes) {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    auto wanted = static_cast<int>(std::max<std::size_t>(bytes.size(), 4096));
    // Asserted in a helper: a failure ends the constructor, and the test's
    // own checks then fail on an empty pipe, after this message.
    [&] {
      ASSERT_GE(::fcntl(write_.get(), F_SETPIPE_SZ, wanted), wanted) << "the pipe cannot hold them";
      ASSERT_EQ(::write(write_.get(), bytes.data(), bytes.size()),
                static_cast<ssize_t>(bytes.size()));
    }();
  }
  int read_end() const { return read_.get(); }
  // Bytes still in the pipe.
  int waiting() const {
    int n = -1;
    ::ioctl(read_.get(), FIONREAD, &n);
    return n;
  }

 private:
  common::UniqueFd read_, write_;
};

std::string pattern(std::size_t n, char first) {
  std::string bytes(n, '\0');
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>(first + i % 23);
  return bytes;
}

// A cleartext connection takes the piece after what was written before it,
// moves it all out of the pipe, and goes on with the next write and the
// next request. The piece is larger than a socket takes at once, so its
// bytes wait for the client.
TEST_F(ConnectionTest, APipePieceGoesOutInOrderAndTheConnectionCarriesOn) {
  HttpConnection client(server_.port());
  client.send(get_request("/piped"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  EXPECT_EQ(api_.write_body_from_pipe(request, -1, 0, nullptr, nullptr), 0) << "it takes pieces";
  const std::string piece = pattern(900 * 1024, 'a');
  FilledPipe pipe(piece);
  api_.set_status(request, 200, {nullptr, 0});
  api_.add_header(request, str("Content-Length"), str(std::to_string(5 + piece.size() + 4)));
  api_.write_body(request, "head:", 5, &IoEvents::callback, &writes_);
  ASSERT_EQ(api_.write_body_from_pipe(request, pipe.read_end(), piece.size(), &IoEvents::callback,
                                      &writes_),
            0);
  auto response = std::async(std::launch::async, [&] { return client.read_response(10s); });
  auto first = writes_.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 0);
  auto piped = writes_.next();
  ASSERT_TRUE(piped);
  EXPECT_EQ(piped->status, 0);
  EXPECT_EQ(piped->bytes, piece.size());
  EXPECT_EQ(pipe.waiting(), 0) << "every byte was taken from the pipe";
  api_.write_body(request, ":end", 4, nullptr, nullptr);
  api_.complete(request);

  auto got = response.get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_TRUE(got->body == "head:" + piece + ":end") << got->body.size() << " bytes";
  EXPECT_TRUE(got->keep_alive);
  expect_next_request_answered(client);
}

// Without a Content-Length the body is chunked: the piece's bytes are read
// out of the pipe and framed as a chunk.
TEST_F(ConnectionTest, APipePieceInAChunkedResponseIsFramedAsAChunk) {
  HttpConnection client(server_.port());
  client.send(get_request("/chunked"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  const std::string piece = pattern(20'000, 'k');
  FilledPipe pipe(piece);
  api_.set_status(request, 200, {nullptr, 0});
  api_.flush(request, nullptr, nullptr);
  ASSERT_EQ(api_.write_body_from_pipe(request, pipe.read_end(), piece.size(), &IoEvents::callback,
                                      &writes_),
            0);
  auto piped = writes_.next();
  ASSERT_TRUE(piped);
  EXPECT_EQ(piped->status, 0);
  EXPECT_EQ(piped->bytes, piece.size());
  api_.complete(request);
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("transfer-encoding"), "chunked");
  EXPECT_TRUE(response->body == piece);
}

// A second piece while one is on its way is refused (the strand is held
// while both are given, so the first still waits for the head's write);
// past the Content-Length a piece is refused, as write_body's are.
TEST_F(ConnectionTest, APipePieceBehindAnotherOrPastTheLengthIsRefused) {
  HttpConnection client(server_.port());
  client.send(get_request("/refused"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  api_.set_status(request, 200, {nullptr, 0});
  api_.add_header(request, str("Content-Length"), str("30"));

  auto strand = strand_of(request);
  std::promise<void> given;
  boost::asio::post(strand, [done = given.get_future().share()] { done.wait(); });
  FilledPipe first(pattern(10, 'a')), second(pattern(10, 'b'));
  IoEvents first_done, second_done;
  api_.write_body_from_pipe(request, first.read_end(), 10, &IoEvents::callback, &first_done);
  api_.write_body_from_pipe(request, second.read_end(), 10, &IoEvents::callback, &second_done);
  given.set_value();
  auto busy = second_done.next();
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, -EBUSY);
  auto taken = first_done.next();
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->status, 0);
  EXPECT_EQ(second.waiting(), 10) << "the refused piece's bytes were left alone";

  FilledPipe too_long(pattern(21, 'x'));
  api_.write_body_from_pipe(request, too_long.read_end(), 21, &IoEvents::callback, &writes_);
  auto refused = writes_.next();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, -EMSGSIZE);
  EXPECT_EQ(too_long.waiting(), 21);
  api_.abort(request);
}

// A connection whose client went away refuses a piece (its callback says
// so), and the request still ends.
TEST_F(ConnectionTest, APipePieceAfterTheClientWentAwayFails) {
  HttpConnection client(server_.port());
  client.send(get_request("/gone"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  watch_disconnect(request);
  client.close();
  ASSERT_EQ(disconnects_.next(), 1);
  FilledPipe pipe(pattern(100, 'g'));
  api_.set_status(request, 200, {nullptr, 0});
  api_.write_body_from_pipe(request, pipe.read_end(), 100, &IoEvents::callback, &writes_);
  auto failed = writes_.next();
  ASSERT_TRUE(failed);
  EXPECT_LT(failed->status, 0);
  api_.complete(request);
}

// abort() while a piece waits for the head's write: the piece fails, and the
// request still ends (its end releases the handler's connection data).
TEST_F(ConnectionTest, AnAbortWhileAPipePieceWaitsEndsTheRequest) {
  HttpConnection client(server_.port());
  client.send(get_request("/aborted"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  ASSERT_EQ(api_.set_connection_data(request, releases_.make("kept"), &ReleaseEvents::release), 0);
  FilledPipe pipe(pattern(1000, 'p'));
  api_.set_status(request, 200, {nullptr, 0});
  api_.add_header(request, str("Content-Length"), str("1000"));
  auto strand = strand_of(request);
  std::promise<void> given;
  boost::asio::post(strand, [done = given.get_future().share()] { done.wait(); });
  api_.write_body_from_pipe(request, pipe.read_end(), 1000, &IoEvents::callback, &writes_);
  api_.abort(request);
  given.set_value();
  auto piece = writes_.next();
  ASSERT_TRUE(piece);
  EXPECT_LT(piece->status, 0);
  EXPECT_EQ(releases_.next(), "kept") << "the request never ended";
  EXPECT_TRUE(client.closed_by_peer(10s));
}

// complete() right behind a piece of a chunked response: the piece goes
// first, then the last chunk, and the connection carries on.
TEST_F(ConnectionTest, CompleteRightAfterAPipePieceSendsThePieceBeforeTheLastChunk) {
  HttpConnection client(server_.port());
  client.send(get_request("/chunked-then-complete"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  const std::string piece = pattern(30'000, 'c');
  FilledPipe pipe(piece);
  api_.set_status(request, 200, {nullptr, 0});
  api_.write_body_from_pipe(request, pipe.read_end(), piece.size(), &IoEvents::callback, &writes_);
  api_.complete(request);
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->header("transfer-encoding"), "chunked");
  EXPECT_TRUE(response->body == piece) << response->body.size() << " bytes";
  auto written = writes_.next();
  ASSERT_TRUE(written);
  EXPECT_EQ(written->status, 0);
  expect_next_request_answered(client);
}

// A pipe holding fewer bytes than promised is the handler's mistake: -EIO,
// and the response, cut short, closes the connection.
TEST_F(ConnectionTest, APipeShortOfThePromisedBytesFailsThePiece) {
  HttpConnection client(server_.port());
  client.send(get_request("/short"));
  auto* request = next_request();
  ASSERT_NE(request, nullptr);
  FilledPipe pipe(pattern(50, 's'));
  api_.set_status(request, 200, {nullptr, 0});
  api_.add_header(request, str("Content-Length"), str("100"));
  api_.write_body_from_pipe(request, pipe.read_end(), 100, &IoEvents::callback, &writes_);
  auto failed = writes_.next();
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, -EIO);
  api_.complete(request);
  EXPECT_TRUE(client.closed_by_peer(10s));
}

}  // namespace
}  // namespace ancm::test
