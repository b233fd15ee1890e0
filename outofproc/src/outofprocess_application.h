// One out-of-process application: its processes, the connection pool the
// requests share, and (for a server without connection strands) I/O threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ancm/handler_abi.h"
#include "ancm/handler_glue.h"
#include "connection_pool.h"
#include "h2_upstreams.h"
#include "outofproc_settings.h"
#include "process_manager.h"
#include "proxy_exchange.h"
#include "proxy_threads.h"
#include "relay_budget.h"
#include "warm_start.h"

namespace ancm::outofproc {

class OutOfProcessApplication : public abi::HandlerApplication,
                                public std::enable_shared_from_this<OutOfProcessApplication> {
 public:
  OutOfProcessApplication(Settings settings, const ancm_app_params& params);
  ~OutOfProcessApplication();
  OutOfProcessApplication(const OutOfProcessApplication&) = delete;
  OutOfProcessApplication& operator=(const OutOfProcessApplication&) = delete;

  // Takes the request (ANCM_OK) or says why not (503 while stopping).
  ancm_result handle_request(ancm_request* request, ancm_failure* failure) override;

  // Shuts the children down, lets exchanges end, stops the I/O threads.
  // Idempotent; never called from an I/O thread (the shim calls it).
  void stop(bool server_initiated = true) override;
  void on_released() override { stop(); }
  // With warmStart, until every child listens or one failed; else at once.
  Settled wait_settled(std::chrono::milliseconds limit) override { return warm_start_.wait(limit); }

 private:
  void log(ancm_log_level level, const std::string& message) const;

  Settings settings_;
  const ancm_host_services* host_;
  RelayBudget pipe_budget_;  // the pooled connections' pipes give back to it: before pool_
  ConnectionPool pool_;
  H2Upstreams h2_;
  std::unique_ptr<ProcessManager> processes_;
  WarmStart warm_start_;
  RelayBudget relay_budget_;  // shared by this application's exchanges
  ProxyContext context_;
  std::atomic<bool> stopping_{false};
  ProxyThreads own_threads_;  // last: joined first
};

}  // namespace ancm::outofproc
