// C++ side of a handler library's entry point: the reference-counted
// application handle and the ancm_handler_api table, written once for every
// handler library (in-process, out-of-process, the test handler).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "ancm/handler_abi.h"

namespace ancm::abi {

// What a handler library implements for one application.
class HandlerApplication {
 public:
  virtual ~HandlerApplication() = default;
  virtual ancm_result handle_request(ancm_request* request, ancm_failure* failure) = 0;
  // Graceful stop; server_initiated when the host shuts down.
  virtual void stop(bool server_initiated) = 0;
  // The shim dropped its last reference.
  virtual void on_released() {}
  // Started, or failed for good (its page is known). Applications that start
  // lazily (on their first request) are settled at once.
  virtual bool wait_settled(std::chrono::milliseconds /*limit*/) { return true; }
};

// Creates the application or fills *failure (strings valid until the next
// call on this thread).
using CreateApplication = std::shared_ptr<HandlerApplication> (*)(const ancm_app_params& params,
                                                                  ancm_failure* failure);

}  // namespace ancm::abi

struct ancm_application {
  explicit ancm_application(std::shared_ptr<ancm::abi::HandlerApplication> owned)
      : app(std::move(owned)) {}
  std::shared_ptr<ancm::abi::HandlerApplication> app;
  std::atomic<int> references{1};
};

namespace ancm::abi {

// The table for a library whose applications come from Create.
template <CreateApplication Create>
const ancm_handler_api* handler_api(const char* name) {
  struct Glue {
    static ancm_result create(const ancm_app_params* params, ancm_application** out,
                              ancm_failure* failure) {
      auto app = Create(*params, failure);
      if (!app) return ANCM_FAILED;
      *out = std::make_unique<ancm_application>(std::move(app)).release();
      return ANCM_OK;
    }
    static ancm_result handle(ancm_application* handle, ancm_request* request,
                              ancm_failure* failure) {
      return handle->app->handle_request(request, failure);
    }
    static void stop(ancm_application* handle, int server_initiated) {
      handle->app->stop(server_initiated != 0);
    }
    static void add_ref(ancm_application* handle) { handle->references++; }
    static void release(ancm_application* handle) {
      if (--handle->references > 0) return;
      std::unique_ptr<ancm_application> owned(handle);
      owned->app->on_released();
    }
    static int wait_settled(ancm_application* handle, int64_t timeout_ms) {
      return handle->app->wait_settled(std::chrono::milliseconds(timeout_ms)) ? 1 : 0;
    }
  };
  static const ancm_handler_api api = {
      ANCM_HANDLER_ABI_VERSION, name,           &Glue::create,      &Glue::handle, &Glue::stop,
      &Glue::add_ref,           &Glue::release, &Glue::wait_settled};
  return &api;
}

}  // namespace ancm::abi

// Exports the library's entry point.
#define ANCM_HANDLER_ENTRY(name, create)                                                           \
  extern "C" __attribute__((visibility("default"))) const ancm_handler_api* ancm_handler_entry() { \
    return ancm::abi::handler_api<create>(name);                                                   \
  }
