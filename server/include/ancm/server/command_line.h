// The flags of `ancm-host run` and of the internal `ancm-host worker`, both
// ways, so the master and the worker agree on them.
#pragma once

#include <string>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/server/options.h"

namespace ancm::server {

// args exclude the program name and the sub-command. Returns the options or
// an error message naming the offending flag.
common::Result<MasterOptions> parse_run_arguments(const std::vector<std::string>& args);
common::Result<WorkerOptions> parse_worker_arguments(const std::vector<std::string>& args);

// The arguments (after "worker") that start a worker for these options.
std::vector<std::string> worker_arguments(const WorkerOptions& options);

// One line per flag, for `ancm-host --help`.
std::string run_flags_help();

}  // namespace ancm::server
