// libancm_inproc.so's C entry point: the handler ABI over Application.
#include <atomic>
#include <memory>
#include <string>

#include "ancm/handler_abi.h"
#include "application.h"
#include "settings.h"

struct ancm_application {
  explicit ancm_application(std::shared_ptr<ancm::inproc::Application> owned)
      : app(std::move(owned)) {}
  std::shared_ptr<ancm::inproc::Application> app;
  std::atomic<int> references{1};
};

namespace {

using ancm::inproc::Application;
using ancm::inproc::Settings;

ancm_str str(const std::string& s) { return {s.data(), s.size()}; }

ancm_result create_application(const ancm_app_params* params, ancm_application** out,
                               ancm_failure* failure) {
  thread_local std::string reason, detail;
  auto settings = Settings::from_params(*params);
  if (auto* error = std::get_if<std::string>(&settings)) {
    reason = "invalid in-process settings: " + *error;
    *failure = {500, 30, str(reason), {nullptr, 0}};
    return ANCM_FAILED;
  }
  auto app = std::make_shared<Application>(std::move(std::get<Settings>(settings)), *params);
  if (auto start_failure = app->start()) {
    reason = start_failure->reason;
    detail = start_failure->detail;
    *failure = {start_failure->status, start_failure->substatus, str(reason), str(detail)};
    return ANCM_FAILED;
  }
  *out = std::make_unique<ancm_application>(std::move(app)).release();
  return ANCM_OK;
}

ancm_result handle_request(ancm_application* handle, ancm_request* request, ancm_failure* failure) {
  return handle->app->handle_request(request, failure);
}

void stop(ancm_application* handle, int) { handle->app->stop(); }

void add_ref(ancm_application* handle) { handle->references++; }

void release(ancm_application* handle) {
  if (--handle->references > 0) return;
  std::unique_ptr<ancm_application> owned(handle);
  owned->app->stop();
}

constexpr ancm_handler_api kApi = {
    ANCM_HANDLER_ABI_VERSION,
    "inprocess",
    create_application,
    handle_request,
    stop,
    add_ref,
    release,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const ancm_handler_api* ancm_handler_entry() {
  return &kApi;
}
