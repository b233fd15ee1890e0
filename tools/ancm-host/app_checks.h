// What `ancm-host check` finds out beyond web.config's syntax, by resolving
// things as `run` and the handlers would: the process and its frameworks,
// the stdout log folder, the listeners.
#pragma once

#include "ancm/config/app_config.h"
#include "ancm/server/options.h"
#include "check_finding.h"

namespace ancm::tools {

// processPath and arguments as the hostingModel's handler resolves them: the
// executable (out-of-process) or hostfxr (in-process), the app's .dll, and
// the shared frameworks its runtimeconfig.json asks for.
CheckFindings check_process(const config::AppConfig& config);

// stdoutLogEnabled: the log's folder exists and is writable, or can be made.
CheckFindings check_stdout_log(const config::AppConfig& config);

// Each URL run would bind (urls_run_would_bind) parses and can be bound now;
// without --listen, systemd's sockets need no check.
CheckFindings check_ports(const server::MasterOptions& options);

}  // namespace ancm::tools
