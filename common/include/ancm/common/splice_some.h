// One non-blocking splice(2) between two descriptors, one of them a pipe:
// the relay of a large body (the proxy from the child's socket into its
// pipe, the server from that pipe to the client's socket).
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>

namespace ancm::common {

// Moves up to len bytes: the count, 0 at the input's end, or -errno (-EAGAIN:
// nothing to move, or no room, right now). Retries EINTR.
inline ssize_t splice_some(int from, int to, std::size_t len) {
  for (;;) {
    ssize_t moved = ::splice(from, nullptr, to, nullptr, len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (moved >= 0) return moved;
    if (errno != EINTR) return -errno;
  }
}

}  // namespace ancm::common
