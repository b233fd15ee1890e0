// The out-of-process handler's view of the application's configuration: what
// config/ resolved, read once by common/ (read_resolved_settings).
#pragma once

#include "ancm/common/resolved_settings.h"
#include "ancm/common/result.h"
#include "ancm/handler_abi.h"

namespace ancm::outofproc {

using Settings = common::ResolvedSettings;

// The settings an out-of-process app uses, with stdoutLogFile resolved
// against the app folder (default <app>/aspnetcore-stdout, without the
// _timestamp_pid.log the log file adds). Fails with a message naming the
// setting on bad input or a blank processPath.
common::Result<Settings> read_settings(const ancm_app_params& params);

}  // namespace ancm::outofproc
