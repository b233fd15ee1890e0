// The worker's live connections, so a stop can drain them all, whatever
// protocol serves them (an HTTP/1.x Connection, an HTTP/2 session).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace ancm::server {

// A served client connection, as a drain sees it.
class Drainable {
 public:
  // Finish what is in flight, take nothing new, close; any thread.
  virtual void drain() = 0;

 protected:
  ~Drainable() = default;  // owned through its own type, never deleted through this
};

class ConnectionRegistry {
 public:
  void add(const std::shared_ptr<Drainable>& connection);
  void remove(const Drainable* connection);
  // Asks every connection to finish its current response(s) and close; one
  // added afterwards is asked as it is added.
  void drain_all();
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<const Drainable*, std::weak_ptr<Drainable>> connections_;
  bool draining_ = false;
};

}  // namespace ancm::server
