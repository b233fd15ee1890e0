// The slowest a client may send a request body (Kestrel's
// MinRequestBodyDataRate; set_min_body_rate in handler_abi.h). Only the time
// the handler's reads wait for bytes counts, so an app that reads slowly is
// never blamed on the client. HTTP/1.x (connection_request_body.cpp) and
// HTTP/2 streams (http2_stream.cpp) each keep one clock per request.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "ancm/handler_abi.h"

namespace ancm::server {

struct MinBodyRate {
  std::uint32_t bytes_per_second = ANCM_DEFAULT_MIN_BODY_RATE;  // 0: no minimum
  std::chrono::milliseconds grace{ANCM_DEFAULT_MIN_BODY_RATE_GRACE_MS};
};

class BodyDataRateClock {
 public:
  using Clock = std::chrono::steady_clock;

  // A new request: the default rate, nothing counted.
  void restart();
  void set(MinBodyRate rate) { rate_ = rate; }

  // A body read began waiting for the client (again: no effect while it waits).
  void wait_started(Clock::time_point now);
  // The read got bytes (or failed): its wait ends.
  void wait_ended(Clock::time_point now);
  // Body bytes a read handed over, waited for or not.
  void count(std::size_t bytes) { bytes_ += bytes; }
  bool waiting() const { return wait_start_.has_value(); }
  // The waiting read's time so far is not counted (the client could not send).
  void restart_wait(Clock::time_point now) {
    if (wait_start_) wait_start_ = now;
  }

  // How much longer the waiting read may wait, with no byte more, before the
  // client is too slow (zero: it is already); nullopt when no rate applies.
  std::optional<Clock::duration> time_left(Clock::time_point now) const;
  bool too_slow(Clock::time_point now) const;

 private:
  Clock::duration waited(Clock::time_point now) const;

  MinBodyRate rate_;
  Clock::duration waited_{};  // the reads that ended
  std::optional<Clock::time_point> wait_start_;
  std::uint64_t bytes_ = 0;
};

}  // namespace ancm::server
