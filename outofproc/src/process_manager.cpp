#include "process_manager.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

#include "process_manager_impl.h"

namespace ancm::outofproc {

ProcessManager::Impl::Impl(Settings settings, Logger log, EventSink events)
    : settings_(std::move(settings)),
      logger_(std::move(log)),
      events_(std::move(events)),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      slots_(static_cast<std::size_t>(std::max(1, settings_.processes_per_application))),
      rapid_fails_(settings_.rapid_fails_per_minute) {
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
  // Children are forked from this thread only: PR_SET_PDEATHSIG follows the
  // thread that forked, and this one lives as long as the manager.
  thread_ = std::thread([this] { run(); });
}

void ProcessManager::Impl::log(ancm_log_level level, const std::string& message) const {
  if (logger_) logger_(level, message);
}

void ProcessManager::Impl::report(ancm_host_event event) const {
  if (events_) events_(event);
}

void ProcessManager::Impl::wake() {
  std::uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
}

std::shared_ptr<SpawnedChild> ProcessManager::Impl::any_ready_child_locked() const {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[(next_slot_ + i) % slots_.size()];
    if (slot.state == Slot::State::Ready && slot.child && slot.child->running()) return slot.child;
  }
  return nullptr;
}

common::PageFailure ProcessManager::Impl::rapid_fail_failure_locked(Clock::time_point until) const {
  int limit = rapid_fails_.limit();
  std::string reason = "process '" + settings_.process_path + "' failed more than " +
                       std::to_string(limit) + (limit == 1 ? " time" : " times") +
                       " in the last minute; not starting it again until " + wall_clock_text(until);
  if (!last_failure_.reason.empty()) reason += " (last failure: " + last_failure_.reason + ")";
  return process_start_failure(reason, last_failure_.detail);
}

ProcessManager::Acquired ProcessManager::Impl::refuse_start_locked(Clock::time_point until) {
  note_blocked_locked(until);
  if (std::shared_ptr<ChildProcess> other = any_ready_child_locked()) return other;
  return common::fail(rapid_fail_failure_locked(until));
}

// Reported under the lock, so BLOCKED and UNBLOCKED from different threads
// reach the host in the order they happened.
void ProcessManager::Impl::note_blocked_locked(Clock::time_point until) {
  bool first = !rapid_fail_until_;
  rapid_fail_until_ = until;
  if (first) report(ANCM_HOST_EVENT_RAPID_FAIL_BLOCKED);
}

void ProcessManager::Impl::note_unblocked_locked() {
  if (!rapid_fail_until_) return;
  rapid_fail_until_.reset();
  report(ANCM_HOST_EVENT_RAPID_FAIL_UNBLOCKED);
}

void ProcessManager::Impl::acquire(Ready ready) {
  std::unique_lock lock(mutex_);
  std::size_t index = next_slot_;
  next_slot_ = (next_slot_ + 1) % slots_.size();
  acquire_slot_locked(index, std::move(ready), lock);
}

void ProcessManager::Impl::start_every_slot(const Ready& each) {
  std::unique_lock lock(mutex_);
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    acquire_slot_locked(index, each, lock);
    if (!lock.owns_lock()) lock.lock();
  }
}

void ProcessManager::Impl::acquire_slot_locked(std::size_t index, Ready ready,
                                               std::unique_lock<std::mutex>& lock) {
  if (stopping_) {
    lock.unlock();
    ready(common::fail(process_manager_stopping()));
    return;
  }
  Slot& slot = slots_[index];
  switch (slot.state) {
    case Slot::State::Ready:
      if (slot.child && slot.child->running()) {
        Acquired child(slot.child);
        lock.unlock();
        ready(std::move(child));
        return;
      }
      break;  // it died and the manager thread has not seen it yet: start anew
    case Slot::State::StartRequested:
    case Slot::State::Starting:
    case Slot::State::Checking:
      slot.waiters.push_back(std::move(ready));
      return;
    case Slot::State::Empty:
      break;
  }
  if (auto until = rapid_fails_.blocked_until()) {
    bool was_blocked = rapid_fail_until_.has_value();
    Acquired refused = refuse_start_locked(*until);
    lock.unlock();
    if (!was_blocked) wake();  // the manager thread now watches for the block's end
    ready(std::move(refused));
    return;
  }
  note_unblocked_locked();
  slot.state = Slot::State::StartRequested;
  slot.child.reset();
  slot.waiters.push_back(std::move(ready));
  lock.unlock();
  wake();
}

void ProcessManager::Impl::report_unreachable(const std::shared_ptr<ChildProcess>& child) {
  if (!child) return;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    auto slot = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
      return s.state == Slot::State::Ready && s.child.get() == child.get();
    });
    if (slot == slots_.end()) return;  // already replaced, or checked right now
    slot->state = Slot::State::Checking;
    suspects_.push_back(child);
  }
  wake();
}

void ProcessManager::Impl::shutdown() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  if (std::this_thread::get_id() == thread_.get_id()) {
    // From a callback on the manager thread: it cannot wait for itself.
    lock.unlock();
    wake();
    return;
  }
  lock.unlock();
  wake();
  lock.lock();
  stopped_cv_.wait(lock, [this] { return stopped_; });
}

ProcessManager::ProcessManager(Settings settings, Logger log, EventSink events)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(log), std::move(events))) {}

ProcessManager::~ProcessManager() {
  impl_->shutdown();
  if (impl_->thread_.get_id() == std::this_thread::get_id()) {
    // Destroyed from one of its own callbacks: the manager thread cannot join
    // itself, so it finishes the shutdown and frees its state at the end.
    Impl* impl = impl_.get();
    impl->thread_.detach();
    impl->self_ = std::move(impl_);
    return;
  }
  impl_->thread_.join();
}

void ProcessManager::acquire(Ready ready) { impl_->acquire(std::move(ready)); }

void ProcessManager::start_every_slot(const Ready& each) { impl_->start_every_slot(each); }

void ProcessManager::report_unreachable(const std::shared_ptr<ChildProcess>& child) {
  impl_->report_unreachable(child);
}

void ProcessManager::shutdown() { impl_->shutdown(); }

std::size_t ProcessManager::spawn_count() const { return impl_->spawn_count_.load(); }

std::size_t ProcessManager::slot_count() const { return impl_->slots_.size(); }

}  // namespace ancm::outofproc
