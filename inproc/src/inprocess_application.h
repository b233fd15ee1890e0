// One in-process application: .NET loaded into this worker through hostfxr,
// the app's Main on the CLR thread, and requests handed to the managed
// server once it registers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ancm/common/page_failure.h"
#include "ancm/common/result.h"
#include "ancm/handler_abi.h"
#include "ancm/handler_glue.h"
#include "ancm/loader/loader.h"
#include "ancm/managed_abi.h"
#include "inproc_settings.h"
#include "worker_stdout_capture.h"

namespace ancm::inproc {

class InProcessApplication : public abi::HandlerApplication,
                             public std::enable_shared_from_this<InProcessApplication> {
 public:
  InProcessApplication(Settings settings, const ancm_app_params& params);
  ~InProcessApplication();
  InProcessApplication(const InProcessApplication&) = delete;
  InProcessApplication& operator=(const InProcessApplication&) = delete;

  // Finds hostfxr and the app, then starts Main on the CLR thread. A failure
  // here (500.32, 500.38) is reported at once; later ones reach the requests.
  common::Result<void, common::PageFailure> start();

  ancm_result handle_request(ancm_request* request, ancm_failure* failure) override;

  // The managed server stops taking requests and drains (bounded by
  // shutdownTimeLimit). The runtime itself stays: only a new worker gets a new one.
  void stop(bool server_initiated = true) override;
  void on_released() override { stop(); }
  Settled wait_settled(std::chrono::milliseconds limit) override;

 private:
  enum class State { Starting, Running, Failed, Stopping, Stopped };

  void run_main(std::shared_ptr<InProcessApplication> self);
  common::Result<void, common::PageFailure> initialize_runtime(loader::HostfxrHandle* handle);
  void apply_environment() const;
  void watch_startup(std::stop_token stop);
  void fail_start(common::PageFailure failure);
  void log(ancm_log_level level, const std::string& message) const;

  // The managed host table's functions; host_ctx is this application.
  static int register_server(void* ctx, const ancm_managed_server* server);
  static void drained(void* ctx);
  static void managed_log(void* ctx, int32_t level, const char* message, size_t length);
  static void start_failed(void* ctx, const char* message, size_t length);

  Settings settings_;
  const ancm_request_api* api_;
  const ancm_host_services* host_;
  ancm_managed_host managed_host_{};
  loader::LaunchPlan plan_;
  std::unique_ptr<loader::Hostfxr> hostfxr_;
  std::unique_ptr<WorkerStdoutCapture> output_;
  std::chrono::steady_clock::time_point started_at_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  State state_ = State::Starting;
  std::optional<common::PageFailure> failure_;  // once Failed: the 500.3x page
  ancm_managed_server server_{};
  std::vector<ancm_request*> pending_;
  bool drained_ = false;
  bool main_returned_ = false;

  std::jthread startup_watch_;  // last: stops first
};

}  // namespace ancm::inproc
