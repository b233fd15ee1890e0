// The pipe a body is spliced through, so its bytes never enter user space
// and no buffer of ours holds them: a response body from the child's socket
// into it, and from it to the client (the server's write_body_from_pipe); a
// request body from the client into it (read_body_to_pipe), and from it to
// the child's socket. The kernel
// keeps them as references to the socket's own pages while they wait.
// Opened for a large body and closed when its connection goes idle: the
// kernel charges each open pipe's capacity to the user
// (fs.pipe-user-pages-soft), so only bodies in flight hold one, and their
// capacities come from the application's pipe budget (pipe_allowance.h).
#pragma once

#include <sys/types.h>

#include <cstddef>

#include "ancm/common/unique_fd.h"
#include "relay_budget.h"

namespace ancm::outofproc {

class RelayPipe {
 public:
  // What one piece may carry, while the budget has room. 1 MiB pipes (the
  // most an unprivileged user may ask, fs.pipe-max-size) cost four times the
  // allowance and measured no better (bench/README.md).
  static constexpr std::size_t kWantedCapacity = 256 * 1024;
  // Smaller pieces (past the user's pipe allowance new pipes get two pages)
  // cost more round trips than copying does.
  static constexpr std::size_t kLeastCapacity = 64 * 1024;

  // Opens the pipe if it is not open, at the largest capacity up to
  // `largest` that `budget` pays for: kWantedCapacity while the budget stays
  // within three quarters, kLeastCapacity within all of it; so many bodies at
  // once get smaller pipes, not none. False when the budget is spent, or the
  // system refuses a pipe or gives it less than kLeastCapacity (the body then
  // goes the copying way). Without a budget: at `largest`.
  bool open(RelayBudget* budget, std::size_t largest = kWantedCapacity);
  bool is_open() const { return static_cast<bool>(read_); }
  std::size_t capacity() const { return capacity_; }
  int read_end() const { return read_.get(); }
  int write_end() const { return write_.get(); }

  // Moves what waits on the socket, up to len bytes (at most the capacity),
  // into the empty pipe: the count, 0 when the peer closed, or -errno
  // (-EAGAIN: nothing waits yet).
  ssize_t fill_from(int socket_fd, std::size_t len);
  // Moves up to len of the bytes it holds to the socket: the count, or
  // -errno (-EAGAIN: the socket is full; -EIO: the pipe is empty, it held
  // fewer bytes than its filler said).
  ssize_t drain_to(int socket_fd, std::size_t len);
  // A piece that failed may have left bytes in it that are no one's: the
  // pipe is closed (its capacity given back to the budget) and the next body
  // opens a fresh one.
  void discard();

 private:
  common::UniqueFd read_, write_;
  std::size_t capacity_ = 0;
  RelayGrant grant_;  // the capacity, while the pipe is open
};

}  // namespace ancm::outofproc
