#include "relay_piece.h"

#include <algorithm>

namespace ancm::outofproc {

char* RelayPiece::take(std::size_t wanted) {
  release();
  std::size_t size = std::clamp<std::size_t>(wanted, 1, kMaxPiece);
  if (size > RelayBudget::kFreePiece && !grant_.grow(size - RelayBudget::kFreePiece)) {
    size = RelayBudget::kFreePiece;
  }
  bytes_ = std::make_unique_for_overwrite<char[]>(size);
  size_ = size;
  return bytes_.get();
}

void RelayPiece::release() {
  bytes_.reset();
  size_ = 0;
  grant_.reset();
}

}  // namespace ancm::outofproc
