// While a worker starts its application (preload, the initializationPage)
// its loop does not run yet, so a "stop" from the master would wait unread
// until the master gives up and kills the worker, and the app's children
// would be left to PDEATHSIG, without their graceful shutdown. This watches
// the control channel meanwhile; a stop stops an out-of-process app at once,
// which ends the wait for its children. The message stays queued for the
// loop's own reader. (An in-process runtime that is still starting is not
// stopped from here: it cannot be unloaded, and its worker ends with it.)
#pragma once

#include <atomic>
#include <thread>

#include "ancm/shim/shim.h"

namespace ancm::server {

class StartupStopWatch {
 public:
  // control_fd < 0 (no master): nothing to watch. shim outlives this.
  StartupStopWatch(int control_fd, shim::Shim& shim);
  ~StartupStopWatch() { finish(); }
  StartupStopWatch(const StartupStopWatch&) = delete;
  StartupStopWatch& operator=(const StartupStopWatch&) = delete;

  // Whether a stop came while the app was starting (so far).
  bool stop_requested() const { return stop_requested_.load(); }
  // The start is over: stop watching (joins). Returns stop_requested().
  bool finish();

 private:
  void watch(const std::stop_token& token);

  int control_fd_;
  shim::Shim& shim_;
  std::atomic<bool> stop_requested_{false};
  std::jthread thread_;
};

}  // namespace ancm::server
