// C++ side of a handler library's entry point: the reference-counted
// application handle and the ancm_handler_api table, written once for every
// handler library (in-process, out-of-process, the test handler).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

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
  // lazily (on their first request) are settled at once, as started.
  enum class Settled { TimedOut = 0, Started = 1, Failed = 2 };  // wait_settled's values
  virtual Settled wait_settled(std::chrono::milliseconds /*limit*/) { return Settled::Started; }
};

// Logs through the server's host services; nothing when the server offers no
// log (a handler may be given a table without one).
inline void host_log(const ancm_host_services* host, ancm_log_level level,
                     std::string_view message) {
  if (host && host->log) host->log(host->ctx, level, {message.data(), message.size()});
}

// Tells the host an event of the application's processes; nothing when the
// server's table predates report_event or leaves it empty.
inline void host_report(const ancm_host_services* host, ancm_host_event event) {
  if (host && ANCM_ABI_HAS(ancm_host_services, host, report_event) && host->report_event) {
    host->report_event(host->ctx, event);
  }
}

// Creates the application or fills *failure (strings valid until the next
// call on this thread).
using CreateApplication = std::shared_ptr<HandlerApplication> (*)(const ancm_app_params& params,
                                                                  ancm_failure* failure);

// What a table must hold for this handler: all of it as the handler was
// built, so every function the handler calls lies within what it is given.
// An older server (smaller tables, same version) is refused here by name,
// rather than a call through a pointer it never had. The exception is what a
// handler calls only after checking for it: ancm_host_services's
// report_event (host_report), so a shim from before it still runs the app.
struct AbiNeeds {
  std::size_t app_params = sizeof(ancm_app_params);
  std::size_t host_services = offsetof(ancm_host_services, report_event);
  std::size_t request_api = sizeof(ancm_request_api);
};

// Empty when params and the tables they point to fit this handler, else why not.
inline std::string abi_mismatch(const ancm_app_params& params, const char* handler,
                                AbiNeeds needs = {}) {
  auto built = std::to_string(ANCM_HANDLER_ABI_VERSION);
  auto too_old = [&](const char* table, std::size_t given, std::size_t needed) {
    return std::string("handler library ") + handler + " needs a " + table + " of at least " +
           std::to_string(needed) + " bytes, the server gives " + std::to_string(given) +
           ": the server is older than the handler; use both from one build";
  };
  if (params.abi_version != ANCM_HANDLER_ABI_VERSION) {
    return std::string("handler library ") + handler + " was built for handler ABI version " +
           built + ", the server speaks version " + std::to_string(params.abi_version) +
           "; use both from one build";
  }
  if (params.struct_size < needs.app_params) {
    return too_old("ancm_app_params", params.struct_size, needs.app_params);
  }
  if (!params.host || params.host->struct_size < needs.host_services) {
    return too_old("ancm_host_services", params.host ? params.host->struct_size : 0,
                   needs.host_services);
  }
  const ancm_request_api* api = params.request_api;
  if (!api || api->abi_version != ANCM_HANDLER_ABI_VERSION) {
    return std::string("handler library ") + handler + " was built for request API version " +
           built + ", the server gives version " + std::to_string(api ? api->abi_version : 0) +
           "; use both from one build";
  }
  if (api->struct_size < needs.request_api) {
    return too_old("ancm_request_api", api->struct_size, needs.request_api);
  }
  return {};
}

}  // namespace ancm::abi

struct ancm_application {
  explicit ancm_application(std::shared_ptr<ancm::abi::HandlerApplication> owned)
      : app(std::move(owned)) {}
  std::shared_ptr<ancm::abi::HandlerApplication> app;
  std::atomic<int> references{1};
};

namespace ancm::abi {

// The table for a library whose applications come from Create.
// Before Create runs, the glue checks the ABI version and table sizes it is
// given (abi_mismatch) and fails create_application with 500.0 and the reason.
template <CreateApplication Create>
const ancm_handler_api* handler_api(const char* name) {
  static const char* const library_name = name;
  struct Glue {
    static ancm_result create(const ancm_app_params* params, ancm_application** out,
                              ancm_failure* failure) {
      thread_local std::string reason;
      reason = abi_mismatch(*params, library_name);
      if (!reason.empty()) {
        *failure = {500, 0, {reason.data(), reason.size()}, {nullptr, 0}};
        return ANCM_FAILED;
      }
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
      return static_cast<int>(handle->app->wait_settled(std::chrono::milliseconds(timeout_ms)));
    }
  };
  static const ancm_handler_api api = {ANCM_HANDLER_ABI_VERSION,
                                       sizeof(ancm_handler_api),
                                       name,
                                       &Glue::create,
                                       &Glue::handle,
                                       &Glue::stop,
                                       &Glue::add_ref,
                                       &Glue::release,
                                       &Glue::wait_settled};
  return &api;
}

}  // namespace ancm::abi

// Exports the library's entry point.
#define ANCM_HANDLER_ENTRY(name, create)                                                           \
  extern "C" __attribute__((visibility("default"))) const ancm_handler_api* ancm_handler_entry() { \
    return ancm::abi::handler_api<create>(name);                                                   \
  }
