// A timeout that moves at every step and rarely fires: a connection's header,
// I/O and idle timeouts. Arming and disarming only move the deadline. The one
// wait on the Asio timer is replaced only when it would end too late, and a
// wait that ends early waits again for the deadline. So a request costs no
// timer-queue update, no cancelled wait's completion and no timerfd_settime,
// where re-arming an Asio timer at each step costs all three (two to three
// times per request). Not for a timer whose owner ends long before its
// timeout (a proxied request's limit): a disarmed wait holds the owner until
// it ends.
//
// Not thread-safe: use it from one strand (the timer's executor).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <utility>

namespace ancm::common {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;

  template <class Executor>
  explicit DeadlineTimer(const Executor& executor) : timer_(executor) {}
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Due timeout from now, replacing any earlier deadline. on_due() runs on the
  // timer's executor once the deadline passes, unless it is disarmed or moved
  // first. It must keep this timer's owner alive (a shared_ptr to it): the
  // wait that carries it may outlive the deadline it was started for. It is
  // dropped when the running wait already ends in time.
  template <class OnDue>
  void arm(Clock::duration timeout, OnDue on_due) {
    deadline_ = Clock::now() + timeout;
    if (!waiting_ || waiting_until_ > deadline_) wait_until(deadline_, std::move(on_due));
  }

  // No deadline: a running wait ends at its time and does nothing.
  void disarm() { deadline_ = kNone; }

  // No deadline, and the running wait ends now (dropping its on_due and the
  // owner it holds): for a connection that closes.
  void cancel() {
    deadline_ = kNone;
    waiting_ = false;  // a later arm() must start a wait of its own
    timer_.cancel();
  }

  bool armed() const { return deadline_ != kNone; }

 private:
  static constexpr Clock::time_point kNone = Clock::time_point::max();

  // Replaces the running wait, if any (its handler then sees a newer generation).
  template <class OnDue>
  void wait_until(Clock::time_point at, OnDue on_due) {
    unsigned generation = ++generation_;
    waiting_ = true;
    waiting_until_ = at;
    timer_.expires_at(at);
    timer_.async_wait([this, generation,
                       on_due = std::move(on_due)](const boost::system::error_code& ec) mutable {
      // on_due keeps the owner, so this timer, alive.
      if (generation != generation_) return;
      waiting_ = false;
      if (ec || deadline_ == kNone) return;
      if (Clock::now() < deadline_) return wait_until(deadline_, std::move(on_due));
      deadline_ = kNone;
      on_due();
    });
  }

  boost::asio::steady_timer timer_;
  Clock::time_point deadline_ = kNone;
  Clock::time_point waiting_until_;  // of the running wait, if any
  bool waiting_ = false;
  unsigned generation_ = 0;  // of the running wait: an earlier one was superseded
};

}  // namespace ancm::common
