// One header timeout from accept until the first request head is complete.
// The steps before it (the TLS handshake, the first bytes that tell HTTP/2's
// preface from HTTP/1.x, the wait for the first request, the head itself; or
// HTTP/2's preface, SETTINGS and first HEADERS) share it, so a client cannot
// hold a connection longer by taking each step slowly. Later requests get
// their own timeouts (keep-alive, then the header timeout).
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace ancm::server {

class FirstHeadDeadline {
 public:
  using Clock = std::chrono::steady_clock;

  // No budget: every step gets its whole timeout (a connection made in a test).
  FirstHeadDeadline() = default;
  static FirstHeadDeadline after(Clock::duration header_timeout) {
    return FirstHeadDeadline(Clock::now() + header_timeout);
  }

  // How long a step's timer may run: its own timeout, cut to what is left of
  // the budget while the first head is pending (zero once it is spent).
  Clock::duration bound(Clock::duration timeout) const {
    if (!deadline_) return timeout;
    return std::clamp(*deadline_ - Clock::now(), Clock::duration::zero(), timeout);
  }
  // The first head is complete: the budget no longer applies.
  void met() { deadline_.reset(); }

 private:
  explicit FirstHeadDeadline(Clock::time_point deadline) : deadline_(deadline) {}

  std::optional<Clock::time_point> deadline_;
};

}  // namespace ancm::server
