#include "error_response.h"

#include "ancm/abi_strings.h"

namespace ancm::shim {
namespace {

using abi::str;

}  // namespace

void send_html(const ancm_request_api& api, ancm_request* request, int status,
               std::string_view body) {
  api.set_status(request, status, {nullptr, 0});
  api.add_header(request, str("Content-Type"), str("text/html; charset=utf-8"));
  api.add_header(request, str("Cache-Control"), str("no-cache, no-store"));
  if (!body.empty()) api.write_body(request, body.data(), body.size(), nullptr, nullptr);
  api.complete(request);
}

void send_error_page(const ancm_request_api& api, ancm_request* request,
                     const common::ErrorPageInput& page, bool suppress_body) {
  if (suppress_body) {
    api.set_status(request, page.code.status, {nullptr, 0});
    api.complete(request);
    return;
  }
  send_html(api, request, page.code.status, common::render_error_page(page));
}

bool is_startup_error(common::ErrorCode code) {
  return (code.status == 500 &&
          (code.substatus == 0 || (code.substatus >= 30 && code.substatus <= 38))) ||
         (code.status == 502 && code.substatus == 5);
}

}  // namespace ancm::shim
