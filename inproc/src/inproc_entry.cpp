// libancm_inproc.so's entry point.
#include <string>

#include "ancm/common/page_failure.h"
#include "ancm/handler_glue.h"
#include "inproc_settings.h"
#include "inprocess_application.h"

namespace {

std::shared_ptr<ancm::abi::HandlerApplication> create(const ancm_app_params& params,
                                                      ancm_failure* failure) {
  auto settings = ancm::inproc::read_settings(params);
  if (!settings.ok()) {
    ancm::common::report_failure(
        {{500, 30}, "invalid in-process settings: " + settings.error(), ""}, failure);
    return nullptr;
  }
  auto app =
      std::make_shared<ancm::inproc::InProcessApplication>(std::move(settings).value(), params);
  if (auto started = app->start(); !started.ok()) {
    ancm::common::report_failure(started.error(), failure);
    return nullptr;
  }
  return app;
}

}  // namespace

ANCM_HANDLER_ENTRY("inprocess", create)
