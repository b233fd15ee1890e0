#include "body_data_rate.h"

#include <algorithm>

namespace ancm::server {

void BodyDataRateClock::restart() { *this = BodyDataRateClock{}; }

void BodyDataRateClock::wait_started(Clock::time_point now) {
  if (!wait_start_) wait_start_ = now;
}

void BodyDataRateClock::wait_ended(Clock::time_point now) {
  if (!wait_start_) return;
  waited_ += now - *wait_start_;
  wait_start_.reset();
}

BodyDataRateClock::Clock::duration BodyDataRateClock::waited(Clock::time_point now) const {
  return waited_ + (wait_start_ ? now - *wait_start_ : Clock::duration{});
}

// The client is too slow once the time waited passes both the grace period
// and the time its bytes would take at the rate: the later of the two is
// when, with no byte more, the waiting read gives up.
std::optional<BodyDataRateClock::Clock::duration> BodyDataRateClock::time_left(
    Clock::time_point now) const {
  if (rate_.bytes_per_second == 0) return std::nullopt;
  // Capped at a year: a huge body at a low rate must not overflow the clock's ticks.
  double seconds = std::min(static_cast<double>(bytes_) / rate_.bytes_per_second, 365.0 * 86400);
  auto earned = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  auto allowed = std::max<Clock::duration>(rate_.grace, earned);
  return std::max<Clock::duration>(allowed - waited(now), Clock::duration{});
}

bool BodyDataRateClock::too_slow(Clock::time_point now) const {
  auto left = time_left(now);
  return waiting() && left && *left == Clock::duration{};
}

}  // namespace ancm::server
