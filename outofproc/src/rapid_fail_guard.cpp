#include "rapid_fail_guard.h"

#include <ctime>

namespace ancm::outofproc {

void RapidFailGuard::forget_old(Clock::time_point now) {
  while (!failures_.empty() && failures_.front() + kWindow <= now) failures_.pop_front();
}

void RapidFailGuard::record_failure(Clock::time_point when) {
  failures_.push_back(when);
  forget_old(when);
}

std::size_t RapidFailGuard::failures_in_window(Clock::time_point now) {
  forget_old(now);
  return failures_.size();
}

std::optional<RapidFailGuard::Clock::time_point> RapidFailGuard::blocked_until(
    Clock::time_point now) {
  forget_old(now);
  std::size_t limit = static_cast<std::size_t>(limit_ < 0 ? 0 : limit_);
  if (failures_.size() <= limit) return std::nullopt;
  // Starts resume once only `limit` failures are left in the window.
  return failures_[failures_.size() - limit - 1] + kWindow;
}

std::string wall_clock_text(RapidFailGuard::Clock::time_point when) {
  auto wall = std::chrono::system_clock::now() +
              std::chrono::duration_cast<std::chrono::system_clock::duration>(
                  when - RapidFailGuard::Clock::now());
  std::time_t seconds = std::chrono::system_clock::to_time_t(wall);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text;
}

}  // namespace ancm::outofproc
