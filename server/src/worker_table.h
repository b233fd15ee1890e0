// The master's workers: each one's process, control socket and phase, and
// the one place a worker's phase changes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "ancm/common/unique_fd.h"

namespace ancm::server {

// starting → serving → stopping, or starting → stopping; a worker leaves
// the table when its process is reaped.
enum class WorkerPhase { starting, serving, stopping };
const char* to_string(WorkerPhase phase);

// Names a worker for its whole life; unlike a pid, never reused.
using WorkerId = std::uint64_t;

struct Worker {
  using Clock = std::chrono::steady_clock;

  WorkerId id = 0;
  pid_t pid = -1;
  common::UniqueFd control;  // the master's end; closed once the worker hung up
  Clock::time_point started;
  std::string reason;  // why it was started
  WorkerPhase phase = WorkerPhase::starting;
  std::optional<Clock::time_point> kill_at;  // while stopping: SIGKILL if still alive then
};

class WorkerTable {
 public:
  using Map = std::map<WorkerId, Worker>;  // in start order

  Worker& add(pid_t pid, common::UniqueFd control, std::string reason);
  Worker* find(WorkerId id);
  // Takes out the worker whose process was reaped; nullopt if not a worker.
  std::optional<Worker> remove(pid_t pid);

  // Moves a worker to `to`; false, changing nothing, for a move its life
  // cycle does not allow (a stopping worker that reports ready stays stopping).
  bool move(Worker& worker, WorkerPhase to);

  bool any(WorkerPhase phase) const;
  bool any_active() const;  // starting or serving
  bool empty() const { return workers_.empty(); }

  Map::iterator begin() { return workers_.begin(); }
  Map::iterator end() { return workers_.end(); }
  Map::const_iterator begin() const { return workers_.begin(); }
  Map::const_iterator end() const { return workers_.end(); }

 private:
  Map workers_;
  WorkerId next_id_ = 1;
};

}  // namespace ancm::server
