#include "connection_pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace ancm::outofproc {
namespace {

// A pooled connection is stale when the child closed it (EOF), reset it, or
// sent bytes nobody asked for.
bool still_open(boost::asio::ip::tcp::socket& socket) {
  char byte;
  ssize_t got = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// A connection back from a clean exchange this recently is taken on trust:
// the check costs a syscall per request, and a child that closed it anyway
// (it died this very moment) is caught by the exchange's retry.
constexpr auto kRecentlyUsed = std::chrono::milliseconds(500);

}  // namespace

ConnectionPool::Connection ConnectionPool::take(uint16_t port) {
  std::lock_guard lock(mutex_);
  auto found = idle_.find(port);
  if (found == idle_.end()) return nullptr;
  auto& sockets = found->second;
  auto now = std::chrono::steady_clock::now();
  while (!sockets.empty()) {
    Idle idle = std::move(sockets.back());  // the most recently used is the warmest
    sockets.pop_back();
    auto idle_for = now - idle.since;
    if (idle_for < max_idle_time_ &&
        (idle_for < kRecentlyUsed || still_open(idle.connection->socket))) {
      return std::move(idle.connection);
    }
  }
  return nullptr;
}

void ConnectionPool::give_back(uint16_t port, Connection connection) {
  connection->shrink_for_idle();
  std::lock_guard lock(mutex_);
  auto& sockets = idle_[port];
  if (sockets.size() >= max_idle_per_port_) sockets.pop_front();
  sockets.push_back({std::move(connection), std::chrono::steady_clock::now()});
}

void ConnectionPool::forget(uint16_t port) {
  std::lock_guard lock(mutex_);
  idle_.erase(port);
}

void ConnectionPool::clear() {
  std::lock_guard lock(mutex_);
  idle_.clear();
}

}  // namespace ancm::outofproc
