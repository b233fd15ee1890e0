// Idle keep-alive connections to the children, reused by the same client
// connection's later requests (and, once it closed, by new client
// connections) so each request does not pay a TCP handshake, nor allocate
// buffers.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "ancm/common/drained_reads.h"
#include "relay_pipe.h"

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
    body_pipe.discard();  // charged to the user while open (relay_pipe.h)
    request_pipe.discard();
  }

  common::DrainedReads<boost::asio::ip::tcp::socket> socket;
  boost::beast::flat_buffer input;  // what the child sent, being parsed
  RelayBuffer response_body;        // one piece of the response body
  RelayBuffer request_body;         // one piece of the client's request body
  RelayPipe body_pipe;              // a large response body spliced through it, while it lasts
  RelayPipe request_pipe;           // a large request body, the same way
};

// Idle connections to the children, each kept for the one client connection
// whose request it served while that client is connected; then for new
// clients (see Client::close). Kestrel reads a connection's
// next request only once the previous handler returned, which can be long
// after its response ended (Response.CompleteAsync()): a connection shared
// between clients would queue one client's request behind another's handler.
// Kept per client, a connection waits only on that client's own earlier
// request, which is what Kestrel direct does too. A client that closed waits
// for nothing, so its connection then serves whoever comes next (a client
// opening a connection per request would cost the child an accept each).
class ConnectionPool {
 public:
  using Connection = std::unique_ptr<UpstreamConnection>;
  class Client;
  // An idle connection, the child's port and since when it idles.
  struct Idle {
    Connection connection;
    uint16_t port = 0;
    std::chrono::steady_clock::time_point since;
  };

  explicit ConnectionPool(std::chrono::seconds max_idle_time = std::chrono::seconds(60));
  ~ConnectionPool() { clear(); }
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A client connection new to this pool.
  std::shared_ptr<Client> new_client();
  // Whether client came from this pool (and not another application's).
  bool owns(const Client& client) const;
  // Drops every idle connection to a port (its child went away).
  void forget(uint16_t port);
  // Drops every idle connection and keeps none from now on (the application stops).
  void clear();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// One client connection's claim on the pool: the idle connections its
// requests left (one per request it had in flight at once, HTTP/2's streams;
// at most 16), for its next requests. Closing it (the client connection
// closed) leaves them to new clients.
class ConnectionPool::Client {
 public:
  explicit Client(std::shared_ptr<State> state);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The newest connection this client's requests left idle to port, else the
  // newest a closed client left, that the child has not closed (connections
  // idle for a moment are not checked: the exchange retries on a fresh one);
  // one the child closed is closed here and the next one tried, its own
  // first, then the orphans. Idle connections to other ports (a replaced
  // child) are closed.
  Connection take(uint16_t port);
  // Keeps a connection whose last exchange ended at a boundary the proxy and
  // the child agree on (the rule is ProxyExchange::upstream_reusable's); past
  // 16 kept the oldest closes. Closed at once after close().
  void give_back(uint16_t port, Connection connection);
  // The client connection closed: its idle connections go to the pool's
  // orphans (at most 64, the oldest closed first), which a client with none
  // of its own takes; none is kept for this client any more.
  void close();

 private:
  friend class ConnectionPool;
  // Under state_->mutex: idle_ to the orphans; returns what is to be closed.
  std::vector<Idle> orphan();
  static Idle newest_to(std::vector<Idle>& list, uint16_t port, std::vector<Idle>& dropped);

  std::shared_ptr<State> state_;
  std::vector<Idle> idle_;  // under state_->mutex, the newest last
  bool closed_ = false;     // under state_->mutex
};

}  // namespace ancm::outofproc
