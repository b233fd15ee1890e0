// `ancm-host run` hands over to ancm-host-master, the master as a program of
// its own: the master maps only what it uses (no OpenSSL, no HTTP server, no
// .NET resolution), as nginx's master holds little, and every worker is this
// binary again (`ancm-host worker`).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ancm::tools {

// Replaces this process (same pid, so systemd's main process stays the one it
// started) with the ancm-host-master found beside `self`, this binary
// (common::companion_dirs), given `run` and run_args, and self as argv[0],
// which the master starts its workers from. Returns only if there is no master
// program to run: the caller runs the master itself then.
void exec_master(const std::filesystem::path& self, const std::vector<std::string>& run_args);

}  // namespace ancm::tools
