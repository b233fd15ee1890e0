// The worker's counters for /metrics (Prometheus text exposition format,
// version 0.0.4). Lock-free: I/O threads add with relaxed atomics, a scrape
// reads them. Counters are the worker process's: they start at 0 with each
// worker (a recycle, a restart), and process_start_time_seconds says when,
// so rate() and increase() see the reset as Prometheus handles any process
// restart. The master keeps nothing.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "ancm/shim/app_state.h"
#include "observe/child_events.h"
#include "observe/request_record.h"

namespace ancm::server {

using shim::AppState;

// The two hostingModels are the label values of the request metrics.
enum class ModelLabel { inprocess, outofprocess };

// What a scrape reads from elsewhere at that moment.
struct MetricsGauges {
  std::size_t open_connections = 0;  // the worker's ConnectionRegistry
  AppState app_state = AppState::starting;
  ChildCounts children;  // the worker's ChildEvents
};

class Metrics {
 public:
  // recycles: how many recycles the master made before starting this worker.
  Metrics(std::chrono::system_clock::time_point started, uint64_t recycles);

  // Any thread.
  void request_ended(const RequestRecord& record, ModelLabel model);
  // A connection began or ended having a request in a handler (an HTTP/2
  // session: its first stream in a handler, its last one out).
  void connection_busy() { busy_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_idle() { busy_connections_.fetch_sub(1, std::memory_order_relaxed); }

  std::string exposition(const MetricsGauges& gauges) const;

  // Upper bounds of the latency histogram, seconds (Prometheus's defaults).
  static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10};

 private:
  using Counter = std::atomic<uint64_t>;
  struct PerModel {
    std::array<Counter, 5> by_class{};                  // 1xx .. 5xx
    std::array<Counter, kBuckets.size() + 1> bucket{};  // not cumulative; the last is +Inf
    Counter duration_microseconds{0};
    Counter count{0};
  };

  const double start_seconds_;
  const uint64_t recycles_;
  std::array<PerModel, 2> models_{};
  Counter bytes_received_{0};
  Counter bytes_sent_{0};
  std::atomic<int64_t> busy_connections_{0};
};

}  // namespace ancm::server
