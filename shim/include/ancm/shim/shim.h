// The module: one application for one web.config. It keeps the configuration
// current, answers for app_offline.htm and configuration errors, loads the
// handler library for the hostingModel, and hands it each request.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/handler_abi.h"
#include "ancm/shim/app_state.h"

namespace ancm::shim {

// The fixed parts of the shim's log lines that people, scripts and the tests
// look for.
// The reason an edited web.config gives for its recycle ("recycled (web.config changed): ...").
inline constexpr char kWebConfigChanged[] = "web.config changed";
// "loaded handler library /usr/lib/ancm/libancm_outofproc.so"
inline constexpr std::string_view kLoadedHandlerLibrary = "loaded handler library";
// "handler library /usr/lib/ancm/libancm_outofproc.so was not found"
inline constexpr std::string_view kWasNotFound = " was not found";

struct ShimOptions {
  std::filesystem::path target;       // web.config or the folder holding it
  std::filesystem::path handler_dir;  // folder with libancm_inproc.so / libancm_outofproc.so
  const ancm_request_api* request_api = nullptr;
  // Non-empty: do not start the app; answer with its start-up error page
  // (500.30 / 502.5) and this reason until something changes.
  std::string start_failure;
  // The URLs the worker listens on; handlers get them as the "bindings"
  // setting (';'-separated), as ANCM hands IIS's site bindings over.
  std::vector<std::string> listen_urls;
  // Called when the application needs a fresh worker process.
  std::function<void(const std::string& reason)> request_recycle;
  // Told the substatus of each ANCM error page the shim answers a request
  // with (30 for 500.30), before the page's complete(): the access log's
  // sc-substatus. May be empty.
  std::function<void(ancm_request* request, int substatus)> note_substatus;
  // Told each event the handler reports of the application's processes
  // (ancm_host_event: child starts, crashes, rapid-fail protection), for the
  // metrics. Any thread, possibly under the handler's locks: it must only
  // count. May be empty.
  std::function<void(ancm_host_event event)> report_event;
};

class Shim {
 public:
  explicit Shim(ShimOptions options);
  ~Shim();
  Shim(const Shim&) = delete;
  Shim& operator=(const Shim&) = delete;

  // Starts the application now rather than at the first request, and waits
  // until it has started or failed (bounded by startupTimeLimit), so a new
  // worker takes over with the app already running. Says how that went.
  enum class Preload {
    Started,        // the app runs (or starts on its first request, as out-of-process)
    Failed,         // it failed to start: requests get its error page (500.30, 502.5, ...)
    Offline,        // app_offline.htm: requests get 503 with its content
    BadConfig,      // web.config is broken: requests get 500.19
    StillStarting,  // startupTimeLimit passed and it is still starting
  };
  Preload preload();

  // Answers the request: from the application, or with an error page.
  void handle_request(ancm_request* request);

  // handlerSettings shutdownDelay of the current configuration (0 if none).
  std::chrono::milliseconds shutdown_delay() const;

  // requestLimits maxAllowedContentLength of the configuration this worker
  // started with (the default while web.config is broken). The front end
  // reads it once: a later change moves the app to a new worker.
  std::uint64_t max_request_body_bytes() const;

  // handlerSetting initializationPage of the configuration this worker
  // started with (empty: none), and how long the worker waits for its answer.
  struct WarmUp {
    std::string page;
    std::chrono::milliseconds timeout{0};
  };
  WarmUp warm_up() const;

  // What the application is doing now (any thread; takes the shim's lock).
  AppState state() const;
  // True while the current configuration says hostingModel="inprocess".
  bool in_process() const;

  // Graceful stop of the application (the host is shutting down).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ancm::shim
