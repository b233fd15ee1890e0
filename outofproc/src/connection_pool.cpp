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

// What the pool and its clients share: a client outlives the application
// that made it when its connection stays open past a configuration change.
struct ConnectionPool::State {
  std::mutex mutex;
  std::unordered_set<Client*> clients;  // each registered while it lives
  bool closed = false;                  // the application stopped
  std::chrono::seconds max_idle_time;
};

ConnectionPool::ConnectionPool(std::chrono::seconds max_idle_time)
    : state_(std::make_shared<State>()) {
  state_->max_idle_time = max_idle_time;
}

std::shared_ptr<ConnectionPool::Client> ConnectionPool::new_client() {
  return std::make_shared<Client>(state_);
}

bool ConnectionPool::owns(const Client& client) const { return client.state_ == state_; }

void ConnectionPool::forget(uint16_t port) {
  std::vector<Connection> dropped;  // closed outside the lock
  std::lock_guard lock(state_->mutex);
  for (Client* client : state_->clients) {
    if (client->idle_.connection && client->idle_.port == port) {
      dropped.push_back(std::move(client->idle_.connection));
    }
  }
}

void ConnectionPool::clear() {
  std::vector<Connection> dropped;
  std::lock_guard lock(state_->mutex);
  state_->closed = true;
  for (Client* client : state_->clients) {
    if (client->idle_.connection) dropped.push_back(std::move(client->idle_.connection));
  }
}

ConnectionPool::Client::Client(std::shared_ptr<State> state) : state_(std::move(state)) {
  std::lock_guard lock(state_->mutex);
  state_->clients.insert(this);
}

ConnectionPool::Client::~Client() {
  Connection dropped;
  std::lock_guard lock(state_->mutex);
  state_->clients.erase(this);
  dropped = std::move(idle_.connection);
}

ConnectionPool::Connection ConnectionPool::Client::take(uint16_t port) {
  Idle idle;
  {
    std::lock_guard lock(state_->mutex);
    idle = std::exchange(idle_, Idle{});
  }
  // One to another port leads to a child that was replaced: it closes here
  // rather than idle until the client connection closes.
  if (!idle.connection || idle.port != port) return nullptr;
  auto idle_for = std::chrono::steady_clock::now() - idle.since;
  if (idle_for < state_->max_idle_time &&
      (idle_for < kRecentlyUsed || still_open(idle.connection->socket))) {
    return std::move(idle.connection);
  }
  return nullptr;
}

void ConnectionPool::Client::give_back(uint16_t port, Connection connection) {
  connection->shrink_for_idle();
  Idle replaced;
  std::lock_guard lock(state_->mutex);
  if (closed_ || state_->closed) return;  // connection closes on return
  replaced =
      std::exchange(idle_, Idle{std::move(connection), port, std::chrono::steady_clock::now()});
}

void ConnectionPool::Client::close() {
  Connection dropped;
  std::lock_guard lock(state_->mutex);
  closed_ = true;
  dropped = std::move(idle_.connection);
}

}  // namespace ancm::outofproc
