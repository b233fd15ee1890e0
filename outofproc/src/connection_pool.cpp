#include "connection_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <iterator>

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

// Connections whose client connection closed, kept for new client
// connections (what nginx's "keepalive 64" keeps): a client that opens a
// connection per request (Connection: close, a TLS handshake each) would
// otherwise cost the child a TCP accept per request.
constexpr std::size_t kMaxOrphans = 64;
// A client connection keeps one idle connection per request it had in flight
// at once (HTTP/2 streams), up to this many.
constexpr std::size_t kMaxIdlePerClient = 16;

// Whether idle leads to port and the child has not closed it; else it is
// closed (by the caller dropping it).
bool usable(ConnectionPool::Idle& idle, uint16_t port, std::chrono::seconds max_idle_time) {
  if (!idle.connection || idle.port != port) return false;
  auto idle_for = std::chrono::steady_clock::now() - idle.since;
  return idle_for < max_idle_time &&
         (idle_for < kRecentlyUsed || still_open(idle.connection->socket));
}

}  // namespace

// What the pool and its clients share: a client outlives the application
// that made it when its connection stays open past a configuration change.
struct ConnectionPool::State {
  std::mutex mutex;
  std::unordered_set<Client*> clients;  // each registered while it lives
  std::vector<Idle> orphans;            // left by closed clients, the newest last
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
  std::vector<Idle> dropped;  // closed outside the lock
  auto to_port = [&](Idle& idle) {
    if (idle.port != port) return false;
    dropped.push_back(std::move(idle));
    return true;
  };
  std::lock_guard lock(state_->mutex);
  for (Client* client : state_->clients) std::erase_if(client->idle_, to_port);
  std::erase_if(state_->orphans, to_port);
}

void ConnectionPool::clear() {
  std::vector<Idle> dropped;
  std::lock_guard lock(state_->mutex);
  state_->closed = true;
  for (Client* client : state_->clients) {
    std::ranges::move(client->idle_, std::back_inserter(dropped));
    client->idle_.clear();
  }
  std::ranges::move(state_->orphans, std::back_inserter(dropped));
  state_->orphans.clear();
}

ConnectionPool::Client::Client(std::shared_ptr<State> state) : state_(std::move(state)) {
  std::lock_guard lock(state_->mutex);
  state_->clients.insert(this);
}

ConnectionPool::Client::~Client() {
  std::vector<Idle> dropped;
  std::lock_guard lock(state_->mutex);
  state_->clients.erase(this);
  dropped = orphan();
}

// The client connection closed: its idle connections serve new clients.
// Only then, so no client ever waits for a handler another client's request
// left running while that client is still connected.
std::vector<ConnectionPool::Idle> ConnectionPool::Client::orphan() {
  auto idle = std::exchange(idle_, {});
  if (state_->closed) return idle;
  auto& orphans = state_->orphans;
  std::ranges::move(idle, std::back_inserter(orphans));
  idle.clear();
  if (orphans.size() > kMaxOrphans) {  // the oldest go
    auto excess = static_cast<std::ptrdiff_t>(orphans.size() - kMaxOrphans);
    std::move(orphans.begin(), orphans.begin() + excess, std::back_inserter(idle));
    orphans.erase(orphans.begin(), orphans.begin() + excess);
  }
  return idle;
}

// The newest of list to port; the ones to other ports (a child that was
// replaced) go to dropped.
ConnectionPool::Idle ConnectionPool::Client::newest_to(std::vector<Idle>& list, uint16_t port,
                                                       std::vector<Idle>& dropped) {
  while (!list.empty()) {
    Idle newest = std::move(list.back());
    list.pop_back();
    if (newest.port == port) return newest;
    dropped.push_back(std::move(newest));
  }
  return {};
}

// Its own newest first, then the newest a closed client left: one the child
// closed meanwhile is dropped and the next tried, so a stale connection of
// its own does not cost a fresh connect while the orphans hold a good one.
ConnectionPool::Connection ConnectionPool::Client::take(uint16_t port) {
  std::vector<Idle> dropped;  // closed outside the lock
  for (bool own : {true, false}) {
    for (;;) {
      Idle idle;
      {
        std::lock_guard lock(state_->mutex);
        idle = newest_to(own ? idle_ : state_->orphans, port, dropped);
      }
      if (!idle.connection) break;
      // Checked outside the lock: a syscall for connections idle a while.
      if (usable(idle, port, state_->max_idle_time)) return std::move(idle.connection);
      dropped.push_back(std::move(idle));
    }
  }
  return nullptr;
}

void ConnectionPool::Client::give_back(uint16_t port, Connection connection) {
  connection->shrink_for_idle();
  Idle replaced;
  std::lock_guard lock(state_->mutex);
  if (closed_ || state_->closed) return;  // connection closes on return
  if (idle_.size() == kMaxIdlePerClient) {
    replaced = std::move(idle_.front());
    idle_.erase(idle_.begin());
  }
  idle_.push_back(Idle{std::move(connection), port, std::chrono::steady_clock::now()});
}

void ConnectionPool::Client::close() {
  std::vector<Idle> dropped;
  std::lock_guard lock(state_->mutex);
  closed_ = true;
  dropped = orphan();
}

}  // namespace ancm::outofproc
