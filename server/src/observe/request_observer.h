// The one hook at the end of every request, whichever protocol carried it
// and whoever answered it: an HTTP/1.x Connection calls it from
// finish_request (the handler's requests and the front end's own answers
// alike), an HTTP/2 stream from end_request (the handler's) and refuse_head
// (its own answers). It builds the RequestRecord once and hands it to the
// access log and the metrics, whichever are on.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "observe/metrics.h"

namespace ancm::server {

class AccessLog;
class ServerRequest;

// What the protocol object knows of a request when it ends.
struct RequestOutcome {
  int status = 0;
  int substatus = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  std::chrono::steady_clock::time_point started;
  bool head_refused = false;  // the front end refused the head: no request line to log
  // The front end answered (an HTTP/2 head it refused): no handler saw it, so
  // it says nothing of whether the app serves (/healthz).
  bool answered_by_host = false;
};

class RequestObserver {
 public:
  // Either may be null (that feature is off); model says the hostingModel
  // serving now (it can change with web.config).
  RequestObserver(AccessLog* log, Metrics* metrics, std::function<ModelLabel()> model);

  // On the request's strand, before its handle is reused.
  void request_ended(const ServerRequest& request, const RequestOutcome& outcome) const;
  // The last request that reached the application ended with a start-up
  // error page (500.30-500.38, 502.5): the app is not serving, though the
  // shim created it (in-process, a Main that threw; out-of-process, a child
  // that cannot start). A later request the app answered clears it.
  bool start_failing() const { return start_failing_.load(std::memory_order_relaxed); }
  // The app failed to start before any request (the worker's preload): as if
  // a request had met its error page, until one the app answers.
  void note_start_failure() const { start_failing_.store(true, std::memory_order_relaxed); }
  void connection_busy() const {
    if (metrics_) metrics_->connection_busy();
  }
  void connection_idle() const {
    if (metrics_) metrics_->connection_idle();
  }

 private:
  AccessLog* log_;
  Metrics* metrics_;
  std::function<ModelLabel()> model_;
  mutable std::atomic<bool> start_failing_{false};
};

}  // namespace ancm::server
