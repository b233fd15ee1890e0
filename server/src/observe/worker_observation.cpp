#include "observe/worker_observation.h"

namespace ancm::server {

common::Result<std::unique_ptr<AccessLog>> open_access_log(const WorkerOptions& options) {
  if (!options.access_log.enabled()) return std::unique_ptr<AccessLog>();
  return AccessLog::open(options.access_log.path, options.access_log.format);
}

WorkerObservation::WorkerObservation(const WorkerOptions& options, const shim::Shim& shim,
                                     const ConnectionRegistry& registry,
                                     const ChildEvents& children, AccessLog* log)
    : metrics(options.admin_listen_fds.empty()
                  ? nullptr
                  : std::make_unique<Metrics>(std::chrono::system_clock::now(),
                                              static_cast<uint64_t>(options.recycles))),
      observer(
          log, metrics.get(),
          [&shim] { return shim.in_process() ? ModelLabel::inprocess : ModelLabel::outofprocess; }),
      sources{
          .metrics =
              [this, &shim, &registry, &children] {
                return metrics->exposition({registry.size(), app_state(shim), children.counts()});
              },
          .app_state = [this, &shim] { return app_state(shim); }},
      enabled(log || metrics) {}

shim::AppState WorkerObservation::app_state(const shim::Shim& shim) const {
  auto state = shim.state();
  if (state == shim::AppState::running && observer.start_failing()) return shim::AppState::failed;
  return state;
}

}  // namespace ancm::server
