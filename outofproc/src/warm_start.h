// Warm start (handlerSetting warmStart): the application's processes are
// started when the application is created, not at its first request, and
// wait_settled() waits until every one listens or failed, so the worker
// reports ready only once the app can answer (IIS's startMode="AlwaysRunning"
// with preloadEnabled).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "ancm/handler_glue.h"
#include "process_manager.h"

namespace ancm::outofproc {

class WarmStart {
 public:
  using Settled = abi::HandlerApplication::Settled;

  // Off: wait() says Started at once (the children start lazily).
  WarmStart() = default;
  WarmStart(const WarmStart&) = delete;
  WarmStart& operator=(const WarmStart&) = delete;

  // Asks `processes` for a child in every slot and logs each outcome. Called
  // once; the callbacks may outlive this object (they hold the shared state).
  void begin(ProcessManager& processes, Logger log);

  // Started once every slot's child listens, Failed as soon as all answered
  // and one could not start (its 502.5 is what requests get), TimedOut when
  // `limit` passed first.
  Settled wait(std::chrono::milliseconds limit) const;

 private:
  // Off: never asked. Starting: answers outstanding. Then one of the two
  // outcomes, for good.
  enum class Phase { Off, Starting, Started, Failed };

  struct State {
    std::mutex mutex;
    std::condition_variable settled;
    Phase phase = Phase::Off;
    std::size_t outstanding = 0;
    bool any_failed = false;
    // The one place the phase moves: Off -> Starting on begin, Starting ->
    // Started/Failed when the last slot answered.
    void advance_locked(Phase to);
  };

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace ancm::outofproc
