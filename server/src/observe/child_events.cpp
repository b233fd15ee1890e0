#include "observe/child_events.h"

namespace ancm::server {

void ChildEvents::record(ancm_host_event event) {
  constexpr auto relaxed = std::memory_order_relaxed;
  switch (event) {
    case ANCM_HOST_EVENT_CHILD_STARTED:
      starts_.fetch_add(1, relaxed);
      return;
    case ANCM_HOST_EVENT_CHILD_CRASHED:
      crashes_.fetch_add(1, relaxed);
      return;
    case ANCM_HOST_EVENT_CHILD_START_FAILED:
      start_failures_.fetch_add(1, relaxed);
      return;
    case ANCM_HOST_EVENT_RAPID_FAIL_BLOCKED:
      blocked_.fetch_add(1, relaxed);
      return;
    case ANCM_HOST_EVENT_RAPID_FAIL_UNBLOCKED:
      blocked_.fetch_sub(1, relaxed);
      return;
    case ANCM_HOST_EVENT_INT_WIDTH_:
      break;
  }
  // Not an event, or a value from a newer handler: nothing this host knows
  // how to count.
}

ChildCounts ChildEvents::counts() const {
  constexpr auto relaxed = std::memory_order_relaxed;
  return {.starts = starts_.load(relaxed),
          .crashes = crashes_.load(relaxed),
          .start_failures = start_failures_.load(relaxed),
          .rapid_fail_blocked = blocked_.load(relaxed) > 0};
}

}  // namespace ancm::server
