// libancm_outofproc.so's entry point.
#include <string>

#include "ancm/common/page_failure.h"
#include "ancm/handler_glue.h"
#include "outofproc_settings.h"
#include "outofprocess_application.h"

namespace {

std::shared_ptr<ancm::abi::HandlerApplication> create(const ancm_app_params& params,
                                                      ancm_failure* failure) {
  auto settings = ancm::outofproc::read_settings(params);
  if (!settings.ok()) {
    ancm::common::report_failure(
        {{502, 5}, "invalid out-of-process settings: " + settings.error(), ""}, failure);
    return nullptr;
  }
  return std::make_shared<ancm::outofproc::OutOfProcessApplication>(std::move(settings).value(),
                                                                    params);
}

}  // namespace

ANCM_HANDLER_ENTRY("outofprocess", create)
