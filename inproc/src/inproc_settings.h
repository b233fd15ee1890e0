// The in-process handler's view of the application's configuration: what
// config/ resolved, read once by common/ (read_resolved_settings).
#pragma once

#include "ancm/common/resolved_settings.h"
#include "ancm/common/result.h"
#include "ancm/handler_abi.h"

namespace ancm::inproc {

using Settings = common::ResolvedSettings;

// The settings an in-process app uses, with ANCM's own variables
// (common::module_variables) over web.config's environmentVariables. Fails
// with a message naming the setting on bad input or an empty processPath.
common::Result<Settings> read_settings(const ancm_app_params& params);

}  // namespace ancm::inproc
