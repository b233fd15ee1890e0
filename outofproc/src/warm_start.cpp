#include "warm_start.h"

#include <stdexcept>

#include "ancm/outofproc/log_text.h"

namespace ancm::outofproc {

void WarmStart::State::advance_locked(Phase to) {
  bool allowed = (phase == Phase::Off && to == Phase::Starting) ||
                 (phase == Phase::Starting && (to == Phase::Started || to == Phase::Failed));
  if (!allowed) throw std::logic_error("warm start: bad phase transition");
  phase = to;
  if (to != Phase::Starting) settled.notify_all();
}

void WarmStart::begin(ProcessManager& processes, Logger log) {
  std::size_t slots = processes.slot_count();
  {
    std::lock_guard lock(state_->mutex);
    state_->outstanding = slots;
    state_->advance_locked(Phase::Starting);
  }
  log(ANCM_LOG_INFO, "warm start: starting " + std::to_string(slots) +
                         (slots == 1 ? " process" : " processes") + " before the first request");
  processes.start_every_slot([state = state_, log](ProcessManager::Acquired acquired) {
    if (acquired.ok()) {
      log(ANCM_LOG_INFO, std::string(kWarmStartListens) + std::to_string(acquired.value()->pid()) +
                             " listens on port " + std::to_string(acquired.value()->port()));
    } else {
      log(ANCM_LOG_WARNING, std::string(kWarmStartFailed) + acquired.error().reason);
    }
    std::lock_guard lock(state->mutex);
    if (!acquired.ok()) state->any_failed = true;
    if (state->outstanding == 0 || --state->outstanding > 0) return;
    state->advance_locked(state->any_failed ? Phase::Failed : Phase::Started);
  });
}

WarmStart::Settled WarmStart::wait(std::chrono::milliseconds limit) const {
  std::unique_lock lock(state_->mutex);
  bool done =
      state_->settled.wait_for(lock, limit, [this] { return state_->phase != Phase::Starting; });
  if (!done) return Settled::TimedOut;
  return state_->phase == Phase::Failed ? Settled::Failed : Settled::Started;
}

}  // namespace ancm::outofproc
