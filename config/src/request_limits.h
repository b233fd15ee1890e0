// system.webServer/security/requestFiltering/requestLimits -> AppConfig:
// the request sizes IIS enforces before the app runs.
#pragma once

#include <optional>

#include "ancm/config/app_config.h"
#include "diagnostics.h"
#include "xml_reader.h"

namespace ancm::config::detail {

// Reads maxAllowedContentLength (IIS's uint: 0 to 4294967295 bytes) and
// appends the ResolvedSetting "requestLimits:maxAllowedContentLength".
// Other requestLimits attributes (maxUrl, maxQueryString) are not read.
void apply_request_limits(const std::optional<RawRequestLimits>& limits, AppConfig& config,
                          ErrorSink& errors);

}  // namespace ancm::config::detail
