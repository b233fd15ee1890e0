// Opening, filling and closing the relay pipe (relay_pipe.h).
#include "relay_pipe.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include "ancm/common/splice_some.h"

namespace ancm::outofproc {

namespace {

// Each capacity and the share of the budget that may be held once it is
// taken, in quarters: large pipes leave room for the bodies after them.
struct PipeTier {
  std::size_t capacity;
  std::size_t quarters;
};
constexpr PipeTier kTiers[] = {{RelayPipe::kWantedCapacity, 3}, {RelayPipe::kLeastCapacity, 4}};

}  // namespace

bool RelayPipe::open(RelayBudget* budget, std::size_t largest) {
  if (is_open()) return true;
  grant_ = RelayGrant(budget);
  std::size_t wanted = 0;
  for (const PipeTier& tier : kTiers) {
    if (tier.capacity > largest) continue;
    std::size_t ceiling = budget ? budget->limit() / 4 * tier.quarters : SIZE_MAX;
    if (grant_.grow(tier.capacity, ceiling)) {
      wanted = tier.capacity;
      break;
    }
  }
  if (wanted == 0) return false;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    grant_.reset();
    return false;
  }
  read_.reset(fds[0]);
  write_.reset(fds[1]);
  // Refused past the user's pipe allowance (fs.pipe-user-pages-soft), which
  // other processes of the user share: the default stays.
  int size = ::fcntl(write_.get(), F_SETPIPE_SZ, static_cast<int>(wanted));
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
  grant_.reset();
}

}  // namespace ancm::outofproc
