// Idle keep-alive connections to the children, per port, reused by later
// requests so each request does not pay a TCP handshake.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

namespace ancm::outofproc {

class ConnectionPool {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  explicit ConnectionPool(std::size_t max_idle_per_port = 64,
                          std::chrono::seconds max_idle_time = std::chrono::seconds(60))
      : max_idle_per_port_(max_idle_per_port), max_idle_time_(max_idle_time) {}

  // An idle connection to the port that the child has not closed, if any
  // (connections idle for a moment are not checked).
  std::optional<Socket> take(uint16_t port);
  // Keeps a connection whose last exchange ended cleanly.
  void give_back(uint16_t port, Socket socket);
  // Drops every idle connection to a port (its child went away).
  void forget(uint16_t port);
  void clear();

 private:
  struct Idle {
    Socket socket;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex mutex_;
  std::map<uint16_t, std::deque<Idle>> idle_;
  std::size_t max_idle_per_port_;
  std::chrono::seconds max_idle_time_;
};

}  // namespace ancm::outofproc
