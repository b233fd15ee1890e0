// Answering a request with a page the shim renders itself.
#pragma once

#include <string>
#include <string_view>

#include "ancm/common/error_page.h"
#include "ancm/handler_abi.h"

namespace ancm::shim {

// Sends an ANCM error page (or only its status) and completes the request.
void send_error_page(const ancm_request_api& api, ancm_request* request,
                     const common::ErrorPageInput& page, bool suppress_body);

// Sends body as text/html with the given status and completes the request.
void send_html(const ancm_request_api& api, ancm_request* request, int status,
               std::string_view body);

// 500.0, 500.3x and 502.5 are start-up pages that disableStartUpErrorPage hides.
bool is_startup_error(common::ErrorCode code);

}  // namespace ancm::shim
