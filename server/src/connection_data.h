// The slot a handler keeps per-connection data in (ancm_request_api's
// connection_data / set_connection_data): one value and its release
// function, released exactly once, when replaced or when the connection
// closes (or, at the latest, when the slot is destroyed with it).
#pragma once

#include <cerrno>
#include <mutex>
#include <utility>

namespace ancm::server {

class ConnectionData {
 public:
  using Release = void (*)(void* data);

  ConnectionData() = default;
  ~ConnectionData() { close(); }
  ConnectionData(const ConnectionData&) = delete;
  ConnectionData& operator=(const ConnectionData&) = delete;

  // The data set with this release function; another handler's is not ours to read.
  void* get(Release release) const {
    std::lock_guard lock(mutex_);
    return value_.release == release ? value_.data : nullptr;
  }

  // 0, with the previous value released (outside the lock: its release may
  // take locks of its own); -ENOTCONN once closed, and the caller keeps data.
  int set(void* data, Release release) {
    Value previous;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return -ENOTCONN;
      if (data == value_.data) {
        value_.release = release;  // the same value: nothing to release
        return 0;
      }
      previous = std::exchange(value_, Value{data, release});
    }
    previous.run();
    return 0;
  }

  // The connection closed: the value is released, later sets are refused.
  void close() {
    Value previous;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      previous = std::exchange(value_, Value{});
    }
    previous.run();
  }

 private:
  struct Value {
    void* data = nullptr;
    Release release = nullptr;
    void run() const {
      if (data && release) release(data);
    }
  };
  mutable std::mutex mutex_;
  Value value_;
  bool closed_ = false;
};

}  // namespace ancm::server
