// The front end's ResponseWriter (server/src/response_writer.*) on its own,
// without a socket: which framing a response gets, what one write puts on
// the wire, the 100 ahead of the head, and what it tells the connection
// about keep-alive.
#include "response_writer.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connection_state.h"

namespace ancm::server {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// What the socket would receive from one write.
std::string wire(const ResponseWrite& write) {
  std::string out;
  for (const auto& b : write.buffers) out.append(static_cast<const char*>(b.data()), b.size());
  return out;
}

bool has_line(const std::string& head, std::string_view line) {
  return head.find("\r\n" + std::string(line) + "\r\n") != std::string::npos;
}

// What follows the head's blank line.
std::string body_of(const std::string& bytes) { return bytes.substr(bytes.find("\r\n\r\n") + 4); }

// Each completion a callback reported: (status, bytes).
struct Completions {
  std::vector<std::pair<int, std::size_t>> seen;
  static void callback(void* ctx, int status, size_t bytes) {
    static_cast<Completions*>(ctx)->seen.emplace_back(status, bytes);
  }
};

RequestFacts http11() { return {.version = 11, .is_head = false, .has_body = false}; }

class ResponseWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { writer_.open(); }
  void TearDown() override { EXPECT_EQ(illegal_moves_, 0) << "an illegal progress move"; }

  int append(std::string_view bytes, bool is_head_request = false) {
    return writer_.append(std::string(bytes), {}, is_head_request, &Completions::callback,
                          &completions_);
  }

  // One write, as the connection starts it; keeps the callbacks it answers.
  std::string write(RequestFacts request, bool completed, bool body_held_back = false) {
    auto next = writer_.next_write({request, completed, body_held_back}, reuse_);
    std::string bytes = wire(next);
    carried_continue_ = next.carries_continue;
    callbacks_ = std::move(next.callbacks);
    writer_.end_write();
    return bytes;
  }

  int illegal_moves_ = 0;
  ResponseWriter writer_{[this](std::string_view, std::string_view) { ++illegal_moves_; }};
  ConnectionReuse reuse_{.keep_alive = true, .draining = false};
  Completions completions_;
  std::vector<IoCallback> callbacks_;
  bool carried_continue_ = false;
};

TEST_F(ResponseWriterTest, TheAppsContentLengthFramesTheBody) {
  ASSERT_EQ(writer_.set_status(201, ""), 0);
  ASSERT_EQ(writer_.add_header("Content-Length", "5"), 0);
  ASSERT_EQ(append("hello"), 0);
  std::string bytes = write(http11(), false);
  EXPECT_EQ(bytes.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << bytes;
  EXPECT_TRUE(has_line(bytes, "Content-Length: 5")) << bytes;
  EXPECT_EQ(bytes.find("Transfer-Encoding"), std::string::npos) << bytes;
  EXPECT_EQ(body_of(bytes), "hello");
  EXPECT_TRUE(reuse_.keep_alive);
  EXPECT_EQ(writer_.progress(), ResponseProgress::HeadSent);
  ASSERT_EQ(callbacks_.size(), 1u);
  EXPECT_EQ(callbacks_[0].bytes, 5u);
}

TEST_F(ResponseWriterTest, WritingPastTheContentLengthIsRefused) {
  ASSERT_EQ(writer_.add_header("Content-Length", "3"), 0);
  EXPECT_EQ(append("abcd"), -EMSGSIZE);
  EXPECT_EQ(append("abc"), 0);
  EXPECT_EQ(append("d"), -EMSGSIZE);
}

TEST_F(ResponseWriterTest, AnHttp11BodyWithoutALengthIsChunkedAndEndsWithTheLastChunk) {
  ASSERT_EQ(append("abc"), 0);
  std::string first = write(http11(), false);
  EXPECT_TRUE(has_line(first, "Transfer-Encoding: chunked")) << first;
  EXPECT_EQ(body_of(first), "3\r\nabc\r\n");
  EXPECT_EQ(writer_.set_status(500, ""), -EALREADY) << "the head is out";
  EXPECT_TRUE(writer_.has_pending(true)) << "the last chunk is still to go";
  EXPECT_EQ(write(http11(), true), "0\r\n\r\n");
  EXPECT_EQ(writer_.progress(), ResponseProgress::LastChunkSent);
  EXPECT_FALSE(writer_.has_pending(true));
  EXPECT_TRUE(reuse_.keep_alive);
}

TEST_F(ResponseWriterTest, AWholeBodyWithoutALengthGetsTheLengthOfWhatIsQueued) {
  ASSERT_EQ(append("hello "), 0);
  ASSERT_EQ(append("world"), 0);
  std::string bytes = write(http11(), true);
  EXPECT_TRUE(has_line(bytes, "Content-Length: 11")) << bytes;
  EXPECT_EQ(body_of(bytes), "hello world");
  EXPECT_TRUE(reuse_.keep_alive);
}

TEST_F(ResponseWriterTest, AnHttp10BodyWithoutALengthRunsUntilTheConnectionCloses) {
  ASSERT_EQ(append("abc"), 0);
  std::string bytes = write({.version = 10, .is_head = false, .has_body = false}, false);
  EXPECT_EQ(bytes.find("Content-Length"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("Transfer-Encoding"), std::string::npos) << bytes;
  EXPECT_TRUE(has_line(bytes, "Connection: close")) << bytes;
  EXPECT_EQ(body_of(bytes), "abc");
  EXPECT_FALSE(reuse_.keep_alive);
}

TEST_F(ResponseWriterTest, AHeadResponseAnnouncesTheAppsLengthAndSendsNoBody) {
  ASSERT_EQ(writer_.add_header("Content-Length", "5"), 0);
  ASSERT_EQ(append("hello", true), 0);
  std::string bytes = write({.version = 11, .is_head = true, .has_body = false}, true);
  EXPECT_TRUE(has_line(bytes, "Content-Length: 5")) << bytes;
  EXPECT_EQ(body_of(bytes), "");
  EXPECT_TRUE(reuse_.keep_alive);
}

TEST_F(ResponseWriterTest, AHeadResponseWithoutALengthAnnouncesNone) {
  ASSERT_EQ(append("hello", true), 0);
  std::string bytes = write({.version = 11, .is_head = true, .has_body = false}, true);
  EXPECT_EQ(bytes.find("Content-Length"), std::string::npos) << bytes;
  EXPECT_EQ(body_of(bytes), "");
}

TEST_F(ResponseWriterTest, A304SendsNoBody) {
  ASSERT_EQ(writer_.set_status(304, ""), 0);
  ASSERT_EQ(append("stale"), 0);
  std::string bytes = write(http11(), true);
  EXPECT_EQ(bytes.rfind("HTTP/1.1 304 Not Modified\r\n", 0), 0u) << bytes;
  EXPECT_EQ(bytes.find("Content-Length"), std::string::npos) << bytes;
  EXPECT_EQ(body_of(bytes), "");
  EXPECT_TRUE(reuse_.keep_alive);
}

TEST_F(ResponseWriterTest, ABodyShortOfItsContentLengthClosesTheConnection) {
  ASSERT_EQ(writer_.add_header("Content-Length", "10"), 0);
  ASSERT_EQ(append("short"), 0);
  write(http11(), false);
  EXPECT_TRUE(reuse_.keep_alive) << "more may come";
  write(http11(), true);
  EXPECT_FALSE(reuse_.keep_alive) << "the client would wait for the rest";
}

TEST_F(ResponseWriterTest, ABodyHeldBackOrConnectionCloseEndsTheConnection) {
  ASSERT_EQ(append("x"), 0);
  write(http11(), true, /*body_held_back=*/true);
  EXPECT_FALSE(reuse_.keep_alive);

  reuse_.keep_alive = true;
  writer_.advance(ResponseProgress::NotStarted);
  writer_.open();
  ASSERT_EQ(writer_.add_header("Connection", "close"), 0);
  std::string bytes = write(http11(), true);
  EXPECT_TRUE(has_line(bytes, "Connection: close")) << bytes;
  EXPECT_FALSE(reuse_.keep_alive);
}

// Alone, the 100 leaves the head open; queued with the response, it goes
// first, in the same buffer.
TEST_F(ResponseWriterTest, The100GoesAheadOfTheHeadAndLeavesItOpenWhenAlone) {
  writer_.queue_continue();
  EXPECT_TRUE(writer_.has_pending(false));
  EXPECT_EQ(write(http11(), false), kContinue);
  EXPECT_TRUE(carried_continue_);
  EXPECT_EQ(writer_.progress(), ResponseProgress::HeadOpen);
  EXPECT_EQ(writer_.set_status(202, ""), 0) << "the head is still the handler's";

  reuse_.keep_alive = true;
  writer_.advance(ResponseProgress::NotStarted);
  writer_.open();
  writer_.queue_continue();
  ASSERT_EQ(append("ok"), 0);
  auto next = writer_.next_write({http11(), true, false}, reuse_);
  ASSERT_EQ(next.buffers.size(), 1u) << "one buffer for a small response";
  std::string bytes = wire(next);
  writer_.end_write();
  EXPECT_TRUE(next.carries_continue);
  EXPECT_EQ(bytes.substr(0, kContinue.size()), kContinue);
  EXPECT_EQ(bytes.find("HTTP/1.1 200 OK\r\n"), kContinue.size()) << bytes;
  EXPECT_EQ(body_of(bytes.substr(kContinue.size())), "ok");
}

TEST_F(ResponseWriterTest, FailingPendingWritesAnswersEveryCallbackAndDropsThe100) {
  writer_.queue_continue();
  ASSERT_EQ(append("a"), 0);
  ASSERT_EQ(append("b"), 0);
  EXPECT_TRUE(writer_.fail_pending());
  ASSERT_EQ(completions_.seen.size(), 2u);
  for (const auto& [status, bytes] : completions_.seen) {
    EXPECT_EQ(status, -ECONNRESET);
    EXPECT_EQ(bytes, 0u);
  }
  EXPECT_FALSE(writer_.has_pending(false));
  EXPECT_FALSE(writer_.fail_pending()) << "nothing left to drop";
}

TEST_F(ResponseWriterTest, TheServersAnswerReplacesTheHandlersHead) {
  ASSERT_EQ(writer_.add_header("X-Handler", "1"), 0);
  writer_.answer_for_handler(413);
  EXPECT_TRUE(writer_.answered_by_server());
  EXPECT_EQ(writer_.add_header("X-Late", "1"), -EALREADY);
  std::string bytes = write(http11(), false);
  EXPECT_EQ(bytes.rfind("HTTP/1.1 413 ", 0), 0u) << bytes;
  EXPECT_EQ(bytes.find("X-Handler"), std::string::npos) << bytes;
  EXPECT_TRUE(has_line(bytes, "Content-Type: text/plain; charset=utf-8")) << bytes;
  EXPECT_EQ(writer_.progress(), ResponseProgress::ServerAnswerSent);
  EXPECT_TRUE(writer_.head_sent());
}

TEST_F(ResponseWriterTest, AnIllegalProgressMoveIsReportedAndNotMade) {
  writer_.advance(ResponseProgress::LastChunkSent);
  EXPECT_EQ(illegal_moves_, 1);
  EXPECT_EQ(writer_.progress(), ResponseProgress::HeadOpen);
  illegal_moves_ = 0;  // expected here
}

// ------------------------------------------------------------ trailers

TEST_F(ResponseWriterTest, TrailersGoInTheLastChunkInTheOrderAdded) {
  ASSERT_EQ(append("abc"), 0);
  EXPECT_EQ(body_of(write(http11(), false)), "3\r\nabc\r\n");
  EXPECT_EQ(writer_.add_trailer("grpc-status", "0"), 0);
  EXPECT_EQ(writer_.add_trailer("grpc-message", "all\tgood"), 0);
  EXPECT_EQ(write(http11(), true), "0\r\ngrpc-status: 0\r\ngrpc-message: all\tgood\r\n\r\n");
  EXPECT_EQ(writer_.add_trailer("x-late", "1"), -EALREADY) << "the last chunk is out";
}

TEST_F(ResponseWriterTest, TrailersAddedBeforeTheHeadFollowTheWholeChunkedBody) {
  EXPECT_EQ(writer_.add_trailer("x-checksum", "900150983cd24fb0"), 0);
  ASSERT_EQ(append("abc"), 0);
  EXPECT_EQ(body_of(write(http11(), false)), "3\r\nabc\r\n");
  EXPECT_EQ(write(http11(), true), "0\r\nx-checksum: 900150983cd24fb0\r\n\r\n");
}

TEST_F(ResponseWriterTest, TrailersAreDroppedWithAnyOtherFraming) {
  ASSERT_EQ(writer_.add_header("Content-Length", "3"), 0);
  EXPECT_EQ(writer_.add_trailer("grpc-status", "0"), 0);
  ASSERT_EQ(append("abc"), 0);
  std::string bytes = write(http11(), true);
  EXPECT_EQ(body_of(bytes), "abc");
  EXPECT_EQ(bytes.find("grpc-status"), std::string::npos) << bytes;
}

TEST_F(ResponseWriterTest, TrailersOfTheLastResponseDoNotReachTheNext) {
  EXPECT_EQ(writer_.add_trailer("x-first", "1"), 0);
  write(http11(), true);  // a whole body: Content-Length framing, the trailer dropped
  writer_.advance(ResponseProgress::NotStarted);
  writer_.open();
  ASSERT_EQ(append("x"), 0);
  write(http11(), false);
  EXPECT_EQ(write(http11(), true), "0\r\n\r\n");
}

TEST_F(ResponseWriterTest, FieldsThatMayNotBeTrailersAreRefused) {
  for (auto name :
       {"Content-Length", "transfer-encoding", "Trailer", "Host", "Content-Type",
        "Content-Encoding", "Set-Cookie", "Authorization", "Cache-Control", "Connection"}) {
    EXPECT_EQ(writer_.add_trailer(name, "x"), -EINVAL) << name;
  }
  EXPECT_EQ(writer_.add_trailer("", "x"), -EINVAL) << "empty name";
  EXPECT_EQ(writer_.add_trailer("bad name", "x"), -EINVAL) << "not a token";
  EXPECT_EQ(writer_.add_trailer("x-value", "a\r\nInjected: 1"), -EINVAL) << "CRLF";
  EXPECT_EQ(writer_.add_trailer("x-value", std::string_view("a\0b", 3)), -EINVAL) << "NUL";
}

TEST_F(ResponseWriterTest, NoTrailersOnTheServersOwnAnswer) {
  writer_.answer_for_handler(400);
  EXPECT_EQ(writer_.add_trailer("grpc-status", "0"), -EALREADY);
}

}  // namespace
}  // namespace ancm::server
