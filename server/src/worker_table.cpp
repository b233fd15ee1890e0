#include "worker_table.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ancm::server {
namespace {

bool allowed(WorkerPhase from, WorkerPhase to) {
  switch (from) {
    case WorkerPhase::starting:
      return to == WorkerPhase::serving || to == WorkerPhase::stopping;
    case WorkerPhase::serving:
      return to == WorkerPhase::stopping;
    case WorkerPhase::stopping:
      return false;
  }
  return false;
}

}  // namespace

const char* to_string(WorkerPhase phase) {
  switch (phase) {
    case WorkerPhase::starting:
      return "starting";
    case WorkerPhase::serving:
      return "serving";
    case WorkerPhase::stopping:
      return "stopping";
  }
  return "unknown";
}

Worker& WorkerTable::add(pid_t pid, common::UniqueFd control, std::string reason) {
  WorkerId id = next_id_++;
  Worker& worker = workers_[id];
  worker.id = id;
  worker.pid = pid;
  worker.control = std::move(control);
  worker.started = Worker::Clock::now();
  worker.reason = std::move(reason);
  return worker;
}

Worker* WorkerTable::find(WorkerId id) {
  auto it = workers_.find(id);
  return it == workers_.end() ? nullptr : &it->second;
}

std::optional<Worker> WorkerTable::remove(pid_t pid) {
  auto it = std::find_if(workers_.begin(), workers_.end(),
                         [pid](const auto& entry) { return entry.second.pid == pid; });
  if (it == workers_.end()) return std::nullopt;
  Worker worker = std::move(it->second);
  workers_.erase(it);
  return worker;
}

bool WorkerTable::move(Worker& worker, WorkerPhase to) {
  if (worker.phase == to) return false;  // already there (a second stop)
  if (!allowed(worker.phase, to)) {
    spdlog::debug("worker {} is {}: {} does not apply", worker.pid, to_string(worker.phase),
                  to_string(to));
    return false;
  }
  worker.phase = to;
  return true;
}

bool WorkerTable::any(WorkerPhase phase) const {
  return std::any_of(workers_.begin(), workers_.end(),
                     [phase](const auto& entry) { return entry.second.phase == phase; });
}

bool WorkerTable::any_active() const {
  return any(WorkerPhase::starting) || any(WorkerPhase::serving);
}

}  // namespace ancm::server
