// The worker's live connections, so a stop can drain them all.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace ancm::server {

class Connection;

class ConnectionRegistry {
 public:
  void add(const std::shared_ptr<Connection>& connection);
  void remove(const Connection* connection);
  // Asks every connection to finish its current response and close.
  void drain_all();
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> connections_;
};

}  // namespace ancm::server
