// The front end's read_body_to_pipe (server/src/connection_body_to_pipe.cpp)
// on a real Connection over loopback TCP (LoopbackServer), a raw client, and
// the test acting as the handler: a request body put into the handler's pipe,
// the bytes the connection buffered first and then what the socket holds,
// framed by the body's length so that a request behind it is served next.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "abi_events.h"
#include "ancm/abi_strings.h"
#include "ancm/common/unique_fd.h"
#include "event_queue.h"
#include "http_client.h"
#include "loopback_server.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;
using abi::str;
using abi::to_string;

// A non-blocking pipe of the default 64 KiB, as the proxy opens one.
class BodyPipe {
 public:
  static constexpr std::size_t kCapacity = 64 * 1024;
  BodyPipe() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    EXPECT_GE(::fcntl(write_.get(), F_SETPIPE_SZ, static_cast<int>(kCapacity)),
              static_cast<int>(kCapacity));
  }
  int write_end() const { return write_.get(); }
  // Everything the pipe holds now.
  std::string take() {
    std::string out;
    char chunk[16384];
    for (;;) {
      ssize_t n = ::read(read_.get(), chunk, sizeof chunk);
      if (n <= 0) return out;
      out.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // No one reads it any more: writing to it fails (EPIPE).
  void close_read_end() { read_.reset(); }
  // Fills it to the brim, so it takes no more bytes.
  void fill() {
    std::string block(4096, 'x');
    while (::write(write_.get(), block.data(), block.size()) > 0) {
    }
  }

 private:
  common::UniqueFd read_, write_;
};

std::string pattern(std::size_t n) {
  std::string bytes(n, '\0');
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>('a' + i % 23);
  return bytes;
}

std::string post_head(std::size_t length) {
  return "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(length) +
         "\r\n\r\n";
}

class ConnectionBodyToPipeTest : public ::testing::Test {
 protected:
  ancm_request* next_request() {
    auto request = requests_.next();
    return request ? *request : nullptr;
  }

  // The body read through the pipe to its end; "<error N>" if a read fails.
  // Each read's size goes to reads.
  std::string read_whole_body(ancm_request* request, std::vector<std::size_t>* reads = nullptr) {
    BodyPipe pipe;
    std::string body;
    for (;;) {
      int taken = api_.read_body_to_pipe(request, pipe.write_end(), BodyPipe::kCapacity,
                                         &IoEvents::callback, &reads_);
      if (taken != 0) return "<refused " + std::to_string(taken) + ">";
      auto read = reads_.next();
      if (!read) return "<no callback>";
      if (read->status < 0) return "<error " + std::to_string(read->status) + ">";
      std::string piece = pipe.take();
      if (piece.size() != read->bytes) {
        return "<the pipe held " + std::to_string(piece.size()) + " of " +
               std::to_string(read->bytes) + " bytes>";
      }
      if (read->bytes == 0) return body;
      if (reads) reads->push_back(read->bytes);
      body += piece;
    }
  }

  void answer(ancm_request* request, std::string_view body) {
    api_.set_status(request, 200, {nullptr, 0});
    api_.write_body(request, body.data(), body.size(), nullptr, nullptr);
    api_.complete(request);
  }

  const ancm_request_api& api_ = LoopbackServer::api();
  EventQueue<ancm_request*> requests_;
  IoEvents reads_;
  LoopbackServer server_{[this](ancm_request* request) { requests_.push(request); }};
};

// A body that is all here, with a request behind it in the same write: it
// comes in (nearly) full pipes, byte for byte, and the request behind it is next.
TEST_F(ConnectionBodyToPipeTest, ABodyComesThroughThePipeAndTheNextRequestFollows) {
  const std::string payload = pattern(300 * 1024);
  HttpConnection client(server_.port());
  client.send(post_head(payload.size()) + payload + "GET /after HTTP/1.1\r\nHost: t\r\n\r\n");
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  EXPECT_EQ(api_.read_body_to_pipe(upload, -1, 0, nullptr, nullptr), 0) << "it takes pipes";
  std::vector<std::size_t> reads;
  std::string body = read_whole_body(upload, &reads);
  EXPECT_TRUE(body == payload) << body.size() << " bytes: " << body.substr(0, 40);
  ASSERT_FALSE(reads.empty());
  // A pipe's capacity counts pages, and a spliced piece of the socket's
  // bytes may fill a page only in part: a full pipe holds a little less.
  EXPECT_GE(*std::max_element(reads.begin(), reads.end()), BodyPipe::kCapacity / 2)
      << "no read came near filling the pipe, in " << reads.size() << " reads";
  answer(upload, "stored");

  auto* after = next_request();
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(to_string(api_.path(after)), "/after");
  answer(after, "next");
  auto first = client.read_response();
  auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "stored");
  EXPECT_TRUE(first->keep_alive);
  EXPECT_EQ(second->body, "next");
}

// A body that comes in parts while the handler waits: each read waits for
// the client, and pipe reads and buffer reads of one body may mix.
TEST_F(ConnectionBodyToPipeTest, ABodyThatComesLaterIsWaitedForAndMayMixWithBufferReads) {
  const std::string payload = pattern(100 * 1024);
  HttpConnection client(server_.port());
  client.send(post_head(payload.size()));
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  BodyPipe pipe;
  ASSERT_EQ(api_.read_body_to_pipe(upload, pipe.write_end(), 1000, &IoEvents::callback, &reads_),
            0);
  std::this_thread::sleep_for(50ms);  // the read waits: nothing came yet
  EXPECT_EQ(reads_.size(), 0u);
  client.send(payload.substr(0, 30 * 1024));
  auto first = reads_.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 0);
  EXPECT_GT(first->bytes, 0u);
  EXPECT_LE(first->bytes, 1000u) << "no more than max";
  std::string body = pipe.take();
  EXPECT_EQ(body.size(), first->bytes);

  // The next 4 KiB through the handler's buffer, the rest through the pipe.
  std::vector<char> buffer(4096);
  api_.read_body(upload, buffer.data(), buffer.size(), &IoEvents::callback, &reads_);
  auto second = reads_.next();
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 0);
  body.append(buffer.data(), second->bytes);
  client.send(payload.substr(30 * 1024));
  body += read_whole_body(upload);
  EXPECT_TRUE(body == payload) << body.size() << " bytes";
  answer(upload, "stored");
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "stored");
}

// Only a body framed by its length comes this way: a chunked one must be
// parsed, and a request without a body has none to give.
TEST_F(ConnectionBodyToPipeTest, AChunkedBodyOrNoBodyIsRefused) {
  HttpConnection client(server_.port());
  client.send(
      "POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  auto* chunked = next_request();
  ASSERT_NE(chunked, nullptr);
  EXPECT_EQ(api_.read_body_to_pipe(chunked, -1, 0, nullptr, nullptr), -EOPNOTSUPP);
  BodyPipe pipe;
  EXPECT_EQ(api_.read_body_to_pipe(chunked, pipe.write_end(), 100, &IoEvents::callback, &reads_),
            -EOPNOTSUPP);
  answer(chunked, "ok");
  ASSERT_TRUE(client.read_response());

  client.send("GET /none HTTP/1.1\r\nHost: t\r\n\r\n");
  auto* none = next_request();
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(api_.read_body_to_pipe(none, -1, 0, nullptr, nullptr), -EOPNOTSUPP);
  answer(none, "ok");
  ASSERT_TRUE(client.read_response());
  EXPECT_EQ(reads_.size(), 0u) << "a refused read calls nothing back";
}

// A pipe that takes nothing is the handler's mistake: the read fails with
// -EIO, and the connection, whose body is now half read, closes. Whether
// the bytes ready were buffered with the head or still in the socket.
TEST_F(ConnectionBodyToPipeTest, APipeThatTakesNothingFailsTheReadAndClosesTheConnection) {
  enum class Mistake { Full, NoOneReads };
  for (auto [mistake, with_head] : {std::pair{Mistake::Full, true}, {Mistake::NoOneReads, false}}) {
    SCOPED_TRACE(mistake == Mistake::Full ? "a full pipe" : "a pipe no one reads");
    const std::string payload = pattern(20'000);
    HttpConnection client(server_.port());
    client.send(post_head(payload.size()) + (with_head ? payload : ""));
    auto* upload = next_request();
    ASSERT_NE(upload, nullptr);
    if (!with_head) {
      client.send(payload);
      std::this_thread::sleep_for(50ms);  // the bytes are there before the read
    }
    BodyPipe pipe;
    if (mistake == Mistake::Full) pipe.fill();
    if (mistake == Mistake::NoOneReads) pipe.close_read_end();
    ASSERT_EQ(api_.read_body_to_pipe(upload, pipe.write_end(), 4096, &IoEvents::callback, &reads_),
              0);
    auto read = reads_.next();
    ASSERT_TRUE(read);
    EXPECT_EQ(read->status, -EIO);
    api_.abort(upload);
    EXPECT_TRUE(client.closed_by_peer());
  }
}

// The client going away in the middle of the body fails the waiting read.
TEST_F(ConnectionBodyToPipeTest, TheClientGoingAwayFailsTheWaitingRead) {
  HttpConnection client(server_.port());
  client.send(post_head(50'000) + pattern(1000));
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  BodyPipe pipe;
  ASSERT_EQ(api_.read_body_to_pipe(upload, pipe.write_end(), 4096, &IoEvents::callback, &reads_),
            0);
  // The 1,000 bytes sent, in one read or several.
  std::size_t got = 0;
  for (;;) {
    auto read = reads_.next();
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 0);
    ASSERT_GT(read->bytes, 0u);
    got += read->bytes;
    if (got >= 1000) break;
    ASSERT_EQ(api_.read_body_to_pipe(upload, pipe.write_end(), 4096, &IoEvents::callback, &reads_),
              0);
  }
  EXPECT_EQ(got, 1000u);
  EXPECT_EQ(pipe.take().size(), 1000u);
  ASSERT_EQ(api_.read_body_to_pipe(upload, pipe.write_end(), 4096, &IoEvents::callback, &reads_),
            0);
  client.close();
  auto second = reads_.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, -ECONNRESET);
  api_.abort(upload);
}

// A second read while one waits is refused, as read_body's is.
TEST_F(ConnectionBodyToPipeTest, ASecondReadWhileOneWaitsIsRefused) {
  HttpConnection client(server_.port());
  client.send(post_head(5000));
  auto* upload = next_request();
  ASSERT_NE(upload, nullptr);
  BodyPipe pipe;
  IoEvents second;
  ASSERT_EQ(api_.read_body_to_pipe(upload, pipe.write_end(), 4096, &IoEvents::callback, &reads_),
            0);
  ASSERT_EQ(api_.read_body_to_pipe(upload, pipe.write_end(), 4096, &IoEvents::callback, &second),
            0);
  auto refused = second.next();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, -EINVAL);
  client.send(pattern(5000));
  auto first = reads_.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 0);
  EXPECT_GT(first->bytes, 0u);
  api_.abort(upload);
}

}  // namespace
}  // namespace ancm::test
