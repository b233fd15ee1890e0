// Opening, filling and closing the relay pipe (relay_pipe.h).
#include "relay_pipe.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "ancm/common/splice_some.h"

namespace ancm::outofproc {

bool RelayPipe::open(std::size_t capacity) {
  if (is_open()) return true;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  read_.reset(fds[0]);
  write_.reset(fds[1]);
  // A larger pipe moves a large body in fewer, larger pieces. Refused past
  // the user's pipe allowance (fs.pipe-user-pages-soft): the default stays.
  int size = ::fcntl(write_.get(), F_SETPIPE_SZ, static_cast<int>(capacity));
  if (size < 0) size = ::fcntl(write_.get(), F_GETPIPE_SZ);
  capacity_ = size > 0 ? static_cast<std::size_t>(size) : 0;
  if (capacity_ >= kLeastCapacity) return true;
  discard();
  return false;
}

ssize_t RelayPipe::fill_from(int socket_fd, std::size_t len) {
  return common::splice_some(socket_fd, write_.get(), std::min(len, capacity_));
}

ssize_t RelayPipe::drain_to(int socket_fd, std::size_t len) {
  return common::drain_pipe_some(read_.get(), socket_fd, len);
}

void RelayPipe::discard() {
  read_.reset();
  write_.reset();
  capacity_ = 0;
}

}  // namespace ancm::outofproc
