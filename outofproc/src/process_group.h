// The members of a child's process group, read from /proc.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace ancm::outofproc {

// The whole of a small file under /proc, or nothing when it cannot be read
// (the process it describes may have exited meanwhile).
std::optional<std::string> read_proc_file(const std::filesystem::path& path);

// Live (not zombie) processes whose process group is `pgid`.
std::set<pid_t> processes_in_group(pid_t pgid, const std::filesystem::path& proc = "/proc");

// Waits until no live process but `except` is left in group `pgid`, up to
// `limit`. Call it while the group leader is still unreaped, so that the
// group id cannot be reused meanwhile. Returns true when the group is empty.
bool wait_for_group_to_empty(pid_t pgid, pid_t except, std::chrono::milliseconds limit);

}  // namespace ancm::outofproc
