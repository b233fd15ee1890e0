// One piece of a response body held only while it is on its way to the
// client: sized to what the child's socket has waiting, paid from the
// application's relay budget past the free size, and freed (budget given
// back) as soon as the client took it. So memory follows the bytes in flight,
// not the number of open exchanges: one waiting for the child holds nothing.
#pragma once

#include <cstddef>
#include <memory>

#include "relay_budget.h"

namespace ancm::outofproc {

class RelayPiece {
 public:
  // The largest piece: large reads and writes are what make a large body
  // cheap to relay (fewer wake-ups of the client and the child per MiB).
  static constexpr std::size_t kMaxPiece = 256 * 1024;

  explicit RelayPiece(RelayBudget* budget) : grant_(budget) {}

  // Room for `wanted` bytes (at most kMaxPiece), or only the free size when
  // the budget cannot pay for more. The piece held before is released: never
  // take while it is lent to the server.
  char* take(std::size_t wanted);
  // Frees the bytes and gives back what they took from the budget.
  void release();

  char* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t size_ = 0;
  RelayGrant grant_;
};

}  // namespace ancm::outofproc
