// What the handler reports of the application's child processes
// (report_event: starts, crashes, failed starts, rapid-fail protection),
// counted for /metrics. The worker keeps it from before the shim exists, so
// no event of the first start is missed; any thread records, lock-free.
// In-process hosting has no child: everything stays 0.
#pragma once

#include <atomic>
#include <cstdint>

#include "ancm/handler_abi.h"

namespace ancm::server {

// One scrape's reading.
struct ChildCounts {
  uint64_t starts = 0;
  uint64_t crashes = 0;
  uint64_t start_failures = 0;
  bool rapid_fail_blocked = false;
};

class ChildEvents {
 public:
  // Any thread; only counts (the handler may hold its own locks).
  void record(ancm_host_event event);
  ChildCounts counts() const;

 private:
  std::atomic<uint64_t> starts_{0};
  std::atomic<uint64_t> crashes_{0};
  std::atomic<uint64_t> start_failures_{0};
  // Applications blocked now: after a web.config change an old application
  // may still be stopping while the new one runs, each reporting its own
  // BLOCKED and UNBLOCKED.
  std::atomic<int64_t> blocked_{0};
};

}  // namespace ancm::server
