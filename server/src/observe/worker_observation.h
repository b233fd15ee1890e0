// What one worker observes of its requests: the access log (opened by the
// worker, O_APPEND), the metrics (with --admin-listen), the end-of-request
// hook that feeds both, and what the admin listener reads (/metrics,
// /healthz). run_worker owns them; they outlive its loop.
#pragma once

#include <memory>

#include "ancm/common/result.h"
#include "ancm/server/options.h"
#include "ancm/shim/shim.h"
#include "connection_registry.h"
#include "observe/access_log.h"
#include "observe/admin_answer.h"
#include "observe/child_events.h"
#include "observe/metrics.h"
#include "observe/request_observer.h"

namespace ancm::server {

// --access-log: null when off; an error naming the file when it cannot be opened.
common::Result<std::unique_ptr<AccessLog>> open_access_log(const WorkerOptions& options);

struct WorkerObservation {
  // shim, registry and children must outlive it; log may be null.
  WorkerObservation(const WorkerOptions& options, const shim::Shim& shim,
                    const ConnectionRegistry& registry, const ChildEvents& children,
                    AccessLog* log);
  WorkerObservation(const WorkerObservation&) = delete;
  WorkerObservation& operator=(const WorkerObservation&) = delete;

  // The shim's state, and a start failure the handler reported per request
  // (RequestObserver::start_failing).
  shim::AppState app_state(const shim::Shim& shim) const;

  std::unique_ptr<Metrics> metrics;  // null without --admin-listen
  RequestObserver observer;
  AdminSources sources;
  bool enabled;  // the access log or the metrics is on: install the observer
};

}  // namespace ancm::server
