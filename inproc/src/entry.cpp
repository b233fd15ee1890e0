// libancm_inproc.so's entry point.
#include <string>

#include "ancm/handler_glue.h"
#include "application.h"
#include "settings.h"

namespace {

std::shared_ptr<ancm::abi::HandlerApplication> create(const ancm_app_params& params,
                                                      ancm_failure* failure) {
  thread_local std::string reason, detail;
  auto fail = [&](int status, int substatus) {
    *failure = {status, substatus, {reason.data(), reason.size()}, {detail.data(), detail.size()}};
    return nullptr;
  };
  auto settings = ancm::inproc::Settings::from_params(params);
  if (auto* error = std::get_if<std::string>(&settings)) {
    reason = "invalid in-process settings: " + *error;
    detail.clear();
    return fail(500, 30);
  }
  auto app = std::make_shared<ancm::inproc::Application>(
      std::move(std::get<ancm::inproc::Settings>(settings)), params);
  if (auto start_failure = app->start()) {
    reason = start_failure->reason;
    detail = start_failure->detail;
    return fail(start_failure->status, start_failure->substatus);
  }
  return app;
}

}  // namespace

ANCM_HANDLER_ENTRY("inprocess", create)
