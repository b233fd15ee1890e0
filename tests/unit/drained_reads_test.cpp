// Drained reads (common/drained_reads.h) on real loopback sockets: a read
// that leaves the queue empty spares the try of the read after our next
// write, and nothing a peer sends is lost or late: data behind a read, a FIN
// or a reset queued with the data, a message longer than the buffer, a Unix
// domain socket without the hint.
//
// The test binary counts its own recvmsg calls: its definition of recvmsg
// comes before libc's, and forwards to the next one (libc, or a sanitizer's).
#include "ancm/common/drained_reads.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

namespace {

std::atomic<int> counted_fd{-1};
std::atomic<int> recvmsg_calls{0};
std::atomic<int> recvmsg_would_block{0};

}  // namespace

extern "C" ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  using Recvmsg = ssize_t (*)(int, msghdr*, int);
  static const auto next = reinterpret_cast<Recvmsg>(::dlsym(RTLD_NEXT, "recvmsg"));
  ssize_t n = next(fd, msg, flags);
  if (fd == counted_fd.load()) {
    ++recvmsg_calls;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++recvmsg_would_block;
  }
  return n;
}

namespace {

namespace asio = boost::asio;
using ancm::common::async_read_some_drained;
using ancm::common::DrainedReads;
using ancm::common::enable_queue_hint;
using ancm::common::queue_hint_enabled;
using ancm::common::ReadDrain;
using asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

struct DrainedReadsTest : ::testing::Test {
  asio::io_context io;
  DrainedReads<tcp::socket> ours{io};
  tcp::socket peer{io};  // written and read with blocking calls

  void SetUp() override {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    ours.connect(acceptor.local_endpoint());
    acceptor.accept(peer);
    counted_fd = ours.native_handle();
    recvmsg_calls = 0;
    recvmsg_would_block = 0;
  }
  void TearDown() override { counted_fd = -1; }

  // One drained read; what it returned once it completed, or "timed out"
  // when nothing completed within five seconds.
  std::string read_once(std::size_t size, error_code& ec) {
    std::string buffer(size, '\0');
    std::size_t got = 0;
    bool done = false;
    ours.async_read_some(asio::buffer(buffer), [&](error_code e, std::size_t n) {
      ec = e;
      got = n;
      done = true;
    });
    io.restart();
    io.run_for(5s);
    if (!done) return "timed out";
    return buffer.substr(0, got);
  }

  // A read that waits first, then the peer sends data and ends its side
  // (end_peer), all queued before epoll is asked: epoll's one edge for
  // both is spent on this read. What it read.
  template <class EndPeer>
  std::string read_as_peer_ends(const std::string& data, EndPeer end_peer) {
    std::string first;
    ours.async_read_some(asio::buffer(buffer_), [&](error_code ec, std::size_t n) {
      EXPECT_FALSE(ec) << ec.message();
      first.assign(buffer_, n);
    });
    asio::write(peer, asio::buffer(data));
    end_peer();
    std::this_thread::sleep_for(50ms);
    io.restart();
    io.run_for(5s);
    return first;
  }

  // Rounds of: we send a request (when `requests`), start a read, then the
  // peer sends a message. A read that tries before it waits fails with
  // EAGAIN each round (nothing has come yet).
  void exchange(int rounds, bool requests) {
    for (int i = 0; i < rounds; ++i) {
      if (requests) {
        asio::async_write(ours, asio::buffer(std::string("request")),
                          [](error_code ec, std::size_t) { ASSERT_FALSE(ec) << ec.message(); });
      }
      std::string got;
      ours.async_read_some(asio::buffer(buffer_), [&](error_code ec, std::size_t n) {
        ASSERT_FALSE(ec) << ec.message();
        got.assign(buffer_, n);
      });
      if (requests) {
        char request[7];
        asio::read(peer, asio::buffer(request));
      }
      asio::write(peer, asio::buffer(std::string("ping ") + std::to_string(i)));
      io.restart();
      io.run_for(5s);
      ASSERT_EQ(got, "ping " + std::to_string(i));
    }
  }
  char buffer_[256];
};

TEST_F(DrainedReadsTest, AReadAfterAWriteWaitsWithoutTrying) {
  ASSERT_TRUE(enable_queue_hint(ours));
  exchange(50, /*requests=*/true);
  // One recvmsg per message; the first read of the socket still tries once.
  EXPECT_EQ(recvmsg_would_block.load(), 1);
  EXPECT_EQ(recvmsg_calls.load(), 51);
}

// With no write since the last read, nothing would show a reset that came
// with that read's data: the read tries first, as Asio's own does.
TEST_F(DrainedReadsTest, AReadAfterAReadTriesFirst) {
  ASSERT_TRUE(enable_queue_hint(ours));
  exchange(50, /*requests=*/false);
  EXPECT_EQ(recvmsg_would_block.load(), 50);
  EXPECT_EQ(recvmsg_calls.load(), 100);
}

TEST_F(DrainedReadsTest, WithoutTheHintEveryReadTriesFirst) {
  exchange(50, /*requests=*/true);
  EXPECT_EQ(recvmsg_would_block.load(), 50);
  EXPECT_EQ(recvmsg_calls.load(), 100);
}

TEST_F(DrainedReadsTest, AFinQueuedWithTheDataStillEndsTheStream) {
  ASSERT_TRUE(enable_queue_hint(ours));
  // A guess from the short read alone would wait forever for the FIN.
  EXPECT_EQ(read_as_peer_ends("last words", [&] { peer.shutdown(tcp::socket::shutdown_send); }),
            "last words");
  error_code ec;
  EXPECT_EQ(read_once(64, ec), "");
  EXPECT_EQ(ec, asio::error::eof);
}

// The hint says nothing of a reset (an RST leaves it at 0): a write after
// the read reports it, and so does a read with no write before it.
TEST_F(DrainedReadsTest, AResetBehindTheDataShowsAtTheNextRead) {
  ASSERT_TRUE(enable_queue_hint(ours));
  EXPECT_EQ(read_as_peer_ends("response head",
                              [&] {
                                peer.set_option(asio::socket_base::linger(true, 0));
                                peer.close();
                              }),
            "response head");
  error_code ec;
  EXPECT_EQ(read_once(64, ec), "");
  EXPECT_EQ(ec, asio::error::connection_reset) << ec.message();
}

TEST_F(DrainedReadsTest, AResetBehindTheDataShowsAtTheNextWrite) {
  ASSERT_TRUE(enable_queue_hint(ours));
  EXPECT_EQ(read_as_peer_ends("request",
                              [&] {
                                peer.set_option(asio::socket_base::linger(true, 0));
                                peer.close();  // an RST, queued behind the data
                              }),
            "request");
  error_code written;
  bool done = false;
  asio::async_write(ours, asio::buffer(std::string("response")), [&](error_code ec, std::size_t) {
    written = ec;
    done = true;
  });
  io.restart();
  io.run_for(5s);
  ASSERT_TRUE(done);
  EXPECT_TRUE(written == asio::error::connection_reset || written == asio::error::broken_pipe)
      << written.message();
}

TEST_F(DrainedReadsTest, DataAfterADrainingReadWakesTheNextRead) {
  ASSERT_TRUE(enable_queue_hint(ours));
  asio::write(peer, asio::buffer(std::string("one")));
  error_code ec;
  EXPECT_EQ(read_once(64, ec), "one");
  std::thread later([&] {
    std::this_thread::sleep_for(50ms);
    asio::write(peer, asio::buffer(std::string("two")));
  });
  EXPECT_EQ(read_once(64, ec), "two");
  later.join();
}

TEST_F(DrainedReadsTest, AMessageLongerThanTheBufferIsReadWhole) {
  ASSERT_TRUE(enable_queue_hint(ours));
  std::string sent(200 * 1024, '\0');
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + i % 26);
  std::thread writer([&] {
    asio::write(peer, asio::buffer(sent));
    peer.shutdown(tcp::socket::shutdown_send);
  });
  std::string received;
  error_code ec;
  while (!ec) {
    std::string piece = read_once(4096, ec);
    ASSERT_NE(piece, "timed out") << "after " << received.size() << " bytes";
    received += piece;
  }
  writer.join();
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_EQ(received, sent);
}

TEST_F(DrainedReadsTest, BeastReadsAResponseThroughDrainedReads) {
  ancm::common::DrainedReads<tcp::socket> upstream(io);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  upstream.connect(acceptor.local_endpoint());
  tcp::socket child(io);
  acceptor.accept(child);
  ASSERT_TRUE(enable_queue_hint(upstream));
  asio::write(child, asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
                                              "HTTP/1.1 204 No Content\r\n\r\n")));
  boost::beast::flat_buffer input;
  for (unsigned status : {200u, 204u}) {
    boost::beast::http::response<boost::beast::http::string_body> response;
    error_code ec = asio::error::would_block;
    boost::beast::http::async_read(upstream, input, response,
                                   [&](error_code e, std::size_t) { ec = e; });
    io.restart();
    io.run_for(5s);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(response.result_int(), status);
    if (status == 200) {
      EXPECT_EQ(response.body(), "hello");
    }
  }
}

// A child that sends a head and part of its body, then resets, all before
// epoll is asked: the head's read spends the one edge, and the body's read
// still ends with the reset.
TEST_F(DrainedReadsTest, ABodyCutShortByAResetEndsBeastsNextRead) {
  ASSERT_TRUE(enable_queue_hint(ours));
  boost::beast::flat_buffer input;
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  error_code ec = asio::error::would_block;
  boost::beast::http::async_read_header(ours, input, parser, [&](error_code e, std::size_t) {
    ASSERT_FALSE(e) << e.message();
    boost::beast::http::async_read(ours, input, parser,
                                   [&](error_code e2, std::size_t) { ec = e2; });
  });
  asio::write(peer, asio::buffer(std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                             "5\r\nhello\r\n")));
  peer.set_option(asio::socket_base::linger(true, 0));
  peer.close();
  std::this_thread::sleep_for(50ms);
  io.restart();
  io.run_for(5s);
  EXPECT_EQ(ec, asio::error::connection_reset) << ec.message();
}

TEST_F(DrainedReadsTest, TheHintIsOnOnlyOnceEnabled) {
  EXPECT_FALSE(queue_hint_enabled(ours));
  ASSERT_TRUE(enable_queue_hint(ours));
  EXPECT_TRUE(queue_hint_enabled(ours));
}

std::size_t open_descriptors() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

// Drained reads are for sockets with the hint; one used on a Unix domain
// socket anyway keeps no descriptor its peer passed.
TEST(DrainedReadsUnixTest, DescriptorsAPeerPassesAreNotKept) {
  asio::io_context io;
  asio::local::stream_protocol::socket ours(io), peer(io);
  asio::local::connect_pair(ours, peer);
  const std::size_t before = open_descriptors();
  char byte = 'x';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int passed = STDIN_FILENO;
  std::memcpy(CMSG_DATA(c), &passed, sizeof passed);
  ASSERT_EQ(::sendmsg(peer.native_handle(), &msg, 0), 1);
  char buffer[8];
  std::size_t got = 0;
  ReadDrain drain(true);
  async_read_some_drained(ours, drain, asio::buffer(buffer),
                          [&](error_code, std::size_t n) { got = n; });
  io.run_for(5s);
  EXPECT_EQ(got, 1u);
  EXPECT_EQ(open_descriptors(), before);
}

TEST(DrainedReadsUnixTest, AUnixSocketHasNoHintAndReadsAsBefore) {
  asio::io_context io;
  asio::local::stream_protocol::socket ours(io), peer(io);
  asio::local::connect_pair(ours, peer);
  EXPECT_FALSE(enable_queue_hint(ours));
  EXPECT_FALSE(queue_hint_enabled(ours));
  asio::write(peer, asio::buffer(std::string("over unix")));
  peer.shutdown(asio::local::stream_protocol::socket::shutdown_send);
  std::string received;
  error_code ec;
  char buffer[4];
  ReadDrain drain(true);
  std::function<void()> read = [&] {
    async_read_some_drained(ours, drain, asio::buffer(buffer), [&](error_code e, std::size_t n) {
      received.append(buffer, n);
      ec = e;
      if (!ec) read();
    });
  };
  read();
  io.run_for(5s);
  EXPECT_EQ(received, "over unix");
  EXPECT_EQ(ec, asio::error::eof);
}

}  // namespace
