// Things that happen on another thread (a request reaching the handler, an
// I/O callback), handed to the test in order. A test waits for the next one
// instead of sleeping; the wait is bounded only so that a broken build fails
// instead of hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace ancm::test {

template <class T>
class EventQueue {
 public:
  void push(T event) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
    }
    arrived_.notify_all();
  }

  // The next event, or nullopt when none came within the bound.
  std::optional<T> next(std::chrono::milliseconds bound = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    if (!arrived_.wait_for(lock, bound, [&] { return !events_.empty(); })) return std::nullopt;
    T event = std::move(events_.front());
    events_.pop_front();
    return event;
  }

  // How many events wait to be taken (for "nothing else happened" checks
  // made after the test saw the event that would have followed it).
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<T> events_;
};

}  // namespace ancm::test
