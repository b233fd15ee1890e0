// rapidFailsPerMinute: failures (failed starts and crashes) in a rolling
// minute; more than the limit means no new start until enough of them age out.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>

namespace ancm::outofproc {

class RapidFailGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{60};

  explicit RapidFailGuard(int limit) : limit_(limit) {}

  void record_failure(Clock::time_point when = Clock::now());

  // When starts are refused at `now`: the time they are allowed again;
  // nullopt when a start may go ahead.
  std::optional<Clock::time_point> blocked_until(Clock::time_point now = Clock::now());

  std::size_t failures_in_window(Clock::time_point now = Clock::now());
  int limit() const { return limit_; }

 private:
  void forget_old(Clock::time_point now);

  int limit_;
  std::deque<Clock::time_point> failures_;  // oldest first
};

// "2024-05-01 12:34:56 UTC" for a steady-clock time, via the wall clock now.
std::string wall_clock_text(RapidFailGuard::Clock::time_point when);

}  // namespace ancm::outofproc
