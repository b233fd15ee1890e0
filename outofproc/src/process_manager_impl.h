// ProcessManager's insides, shared by the caller side (process_manager.cpp)
// and the manager thread (supervisor_loop.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ancm/common/unique_fd.h"
#include "child_process.h"
#include "process_manager.h"
#include "rapid_fail_guard.h"

namespace ancm::outofproc {

struct ProcessManager::Impl {
  using Clock = std::chrono::steady_clock;

  // One of processesPerApplication places, served round-robin. Guarded by mutex.
  // Checking: its child was reported unreachable; acquires wait until the
  // manager thread has looked (still listening: Ready again; else replaced).
  struct Slot {
    enum class State { Empty, StartRequested, Starting, Ready, Checking };
    State state = State::Empty;
    std::shared_ptr<SpawnedChild> child;  // set while Starting or Ready
    std::vector<Ready> waiters;           // acquires waiting for the start
  };

  // A child the manager thread watches. Only that thread touches these.
  struct Watched {
    std::shared_ptr<SpawnedChild> child;
    std::size_t slot;
    bool starting = true;
    Clock::time_point started;
    std::optional<Clock::time_point> deadline;  // none: startupTimeLimit 0
    bool gone = false;                          // reaped; dropped at the end of the turn
  };

  Impl(Settings settings, Logger log, EventSink events);

  // ---- caller side (any thread), process_manager.cpp
  void acquire(Ready ready);
  void start_every_slot(const Ready& each);
  // acquire() for one slot; unlocks `lock` before it calls `ready` or wakes
  // the manager thread.
  void acquire_slot_locked(std::size_t index, Ready ready, std::unique_lock<std::mutex>& lock);
  void report_unreachable(const std::shared_ptr<ChildProcess>& child);
  void shutdown();
  void wake();
  // A ready child from any slot, for when the chosen one cannot start.
  std::shared_ptr<SpawnedChild> any_ready_child_locked() const;
  common::PageFailure rapid_fail_failure_locked(Clock::time_point until) const;
  // While rapid-fail protection holds until `until`: another slot's ready
  // child, else the rapid-fail page.
  Acquired refuse_start_locked(Clock::time_point until);
  // Rapid-fail state as reported: BLOCKED at the first refusal, UNBLOCKED
  // once starts are allowed again (a start goes ahead, the manager thread
  // sees the failures age out, or the manager stops).
  void note_blocked_locked(Clock::time_point until);
  void note_unblocked_locked();

  // ---- manager thread, supervisor_loop.cpp
  void run();
  void act_on_requests();    // shutdown, starts and checks callers asked for
  void wait_for_children();  // poll: a wake-up, a child's output or exit, a timer
  void check_deadlines();    // start-up limits, the shutdown's kill deadline, rapid-fail's end
  void kill_overdue_children();
  void announce_stopped();
  void start_requested_children();
  void start_child(std::size_t slot);
  // Hands the start's outcome to the acquires waiting on the slot.
  void finish_start(std::size_t slot,
                    common::Result<std::shared_ptr<SpawnedChild>, common::PageFailure> started);
  std::string reap(SpawnedChild& child) const;  // child.reap(), logging leftovers
  void on_exit(Watched& watched);
  // After the slot's running child died: empty, or a new start for the
  // acquires that wait on it (refused while rapid-fail protection holds).
  void vacate(std::size_t slot, const std::shared_ptr<SpawnedChild>& dead);
  void check_starting(Watched& watched, Clock::time_point now);
  void check_suspects();
  void begin_shutdown();
  int poll_timeout(Clock::time_point now) const;
  void log(ancm_log_level level, const std::string& message) const;
  void report(ancm_host_event event) const;
  void call_back(const Ready& ready, Acquired acquired) const;

  const Settings settings_;
  const Logger logger_;
  const EventSink events_;
  common::UniqueFd wake_fd_;  // eventfd

  mutable std::mutex mutex_;
  std::condition_variable stopped_cv_;
  std::vector<Slot> slots_;
  std::size_t next_slot_ = 0;
  RapidFailGuard rapid_fails_;
  common::PageFailure last_failure_;                     // the latest failed start or crash
  std::vector<std::shared_ptr<ChildProcess>> suspects_;  // report_unreachable
  // Set from the first refused start until starts are allowed again.
  std::optional<Clock::time_point> rapid_fail_until_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<std::size_t> spawn_count_{0};

  // Manager thread only.
  std::vector<Watched> watched_;
  bool shutdown_begun_ = false;
  std::optional<Clock::time_point> kill_deadline_;
  // Set when the manager was destroyed from its own thread: run() ends by
  // dropping it.
  std::unique_ptr<Impl> self_;

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace ancm::outofproc
