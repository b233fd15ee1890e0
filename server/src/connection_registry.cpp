#include "connection_registry.h"

#include <vector>

namespace ancm::server {

// A connection that reaches a protocol after the drain began (its TLS
// handshake or first bytes took longer) is drained at once.
void ConnectionRegistry::add(const std::shared_ptr<Drainable>& connection) {
  bool draining = false;
  {
    std::lock_guard lock(mutex_);
    connections_.emplace(connection.get(), connection);
    draining = draining_;
  }
  if (draining) connection->drain();
}

void ConnectionRegistry::remove(const Drainable* connection) {
  std::lock_guard lock(mutex_);
  connections_.erase(connection);
}

void ConnectionRegistry::drain_all() {
  // Locked copies first: dropping the last reference under the mutex would
  // re-enter remove() from the destructor.
  std::vector<std::shared_ptr<Drainable>> live;
  {
    std::lock_guard lock(mutex_);
    draining_ = true;
    for (auto& [key, weak] : connections_) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
  }
  for (auto& connection : live) connection->drain();
}

std::size_t ConnectionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

}  // namespace ancm::server
