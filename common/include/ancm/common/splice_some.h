// One non-blocking splice(2) between two descriptors, one of them a pipe:
// the relay of a large body (a response: the proxy from the child's socket
// into its pipe, the server from that pipe to the client's socket; an
// upload: the server from the client's socket into the proxy's pipe, the
// proxy from there to the child's socket).
#pragma once

#include <fcntl.h>
#include <sys/ioctl.h>
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

// Moves up to len bytes out of a pipe whose filler said they are there into
// `to`: the count, or -errno. -EAGAIN only while `to` is full and the pipe
// still holds bytes; -EIO when the pipe is empty, for it held fewer bytes
// than promised, which waiting would never fix.
inline ssize_t drain_pipe_some(int pipe, int to, std::size_t len) {
  ssize_t moved = splice_some(pipe, to, len);
  if (moved == 0) return -EIO;
  int waiting = 0;
  if (moved == -EAGAIN && (::ioctl(pipe, FIONREAD, &waiting) != 0 || waiting == 0)) return -EIO;
  return moved;
}

}  // namespace ancm::common
