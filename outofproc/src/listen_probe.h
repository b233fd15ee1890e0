// Whether a process group listens on a TCP port, read from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <set>
#include <string_view>

namespace ancm::outofproc {

// Inodes of sockets in LISTEN state (0A) on `port` in a /proc/net/tcp or
// /proc/net/tcp6 style table.
std::set<ino_t> listening_inodes_in_table(std::string_view table, std::uint16_t port);

// The same for the live tables of this network namespace.
std::set<ino_t> listening_inodes(std::uint16_t port);

// True when a process in group `pgid` holds a listening socket on `port`.
// The child itself may hand the work to a descendant (a shell script that
// starts the real server); any member of its group counts.
bool group_listens_on(pid_t pgid, std::uint16_t port);

}  // namespace ancm::outofproc
