// The flags of `ancm-host run` and of the internal `ancm-host worker`, both
// ways, so the master and the worker agree on them.
#pragma once

#include <filesystem>
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

// The internal `ancm-host check-certificates <target> <TLS flags>`, in which
// the master has the certificates checked (tls_certificates.h): the TLS flags
// of `run`, and the web.config they serve, which says whose they are in a
// process list.
std::vector<std::string> certificate_check_arguments(const std::filesystem::path& target,
                                                     const TlsOptions& tls);
common::Result<TlsOptions> parse_certificate_check_arguments(const std::vector<std::string>& args);

// One line per flag, for `ancm-host --help`.
std::string run_flags_help();

}  // namespace ancm::server
