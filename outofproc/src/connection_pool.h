// Idle keep-alive connections to the children, per port, reused by later
// requests so each request does not pay a TCP handshake, nor allocate buffers.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace ancm::outofproc {

// Uninitialised bytes for one piece of a body on its way through.
struct RelayBuffer {
  std::unique_ptr<char[]> bytes;
  std::size_t size = 0;
  // Room for n bytes (what was in it is not kept).
  char* reserve(std::size_t n) {
    if (size < n) {
      bytes = std::make_unique_for_overwrite<char[]>(n);
      size = n;
    }
    return bytes.get();
  }
};

// A connection to a child and the buffers an exchange relays through; they
// stay together in the pool, small unless a large body made them grow.
struct UpstreamConnection {
  static constexpr std::size_t kIdleBuffer = 4 * 1024;

  explicit UpstreamConnection(const boost::asio::any_io_executor& executor) : socket(executor) {}
  // What a large body made grow is given back before the connection idles.
  void shrink_for_idle() {
    if (input.capacity() > kIdleBuffer) input.shrink_to_fit();
    if (response_body.size > kIdleBuffer) response_body = {};
    request_body = {};
  }

  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer input;  // what the child sent, being parsed
  RelayBuffer response_body;        // one piece of the response body
  RelayBuffer request_body;         // one piece of the client's request body
};

class ConnectionPool {
 public:
  using Connection = std::unique_ptr<UpstreamConnection>;

  explicit ConnectionPool(std::size_t max_idle_per_port = 256,
                          std::chrono::seconds max_idle_time = std::chrono::seconds(60))
      : max_idle_per_port_(max_idle_per_port), max_idle_time_(max_idle_time) {}

  // An idle connection to the port that the child has not closed, if any
  // (connections idle for a moment are not checked).
  Connection take(uint16_t port);
  // Keeps a connection whose last exchange ended at a boundary the proxy and
  // the child agree on (the rule is ProxyExchange::upstream_reusable's).
  void give_back(uint16_t port, Connection connection);
  // Drops every idle connection to a port (its child went away).
  void forget(uint16_t port);
  void clear();

 private:
  struct Idle {
    Connection connection;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex mutex_;
  std::map<uint16_t, std::deque<Idle>> idle_;
  std::size_t max_idle_per_port_;
  std::chrono::seconds max_idle_time_;
};

}  // namespace ancm::outofproc
