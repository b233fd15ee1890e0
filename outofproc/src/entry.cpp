// libancm_outofproc.so's entry point.
#include <string>

#include "ancm/handler_glue.h"
#include "application.h"
#include "settings.h"

namespace {

std::shared_ptr<ancm::abi::HandlerApplication> create(const ancm_app_params& params,
                                                      ancm_failure* failure) {
  auto settings = ancm::outofproc::Settings::from_params(params);
  if (auto* error = std::get_if<std::string>(&settings)) {
    thread_local std::string reason;
    reason = "invalid out-of-process settings: " + *error;
    *failure = {502, 5, {reason.data(), reason.size()}, {nullptr, 0}};
    return nullptr;
  }
  return std::make_shared<ancm::outofproc::Application>(
      std::move(std::get<ancm::outofproc::Settings>(settings)), params);
}

}  // namespace

ANCM_HANDLER_ENTRY("outofprocess", create)
