#include "relay_budget.h"

#include <algorithm>
#include <utility>

namespace ancm::outofproc {

bool RelayBudget::try_take(std::size_t n, std::size_t ceiling) {
  const std::size_t cap = std::min(limit_, ceiling);
  std::size_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (n > cap || used > cap - n) return false;
  } while (!in_use_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
  return true;
}

RelayGrant::RelayGrant(RelayGrant&& other) noexcept
    : budget_(other.budget_), bytes_(std::exchange(other.bytes_, 0)) {}

RelayGrant& RelayGrant::operator=(RelayGrant&& other) noexcept {
  if (this != &other) {
    reset();
    budget_ = other.budget_;
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

bool RelayGrant::grow(std::size_t n, std::size_t ceiling) {
  if (budget_ && !budget_->try_take(n, ceiling)) return false;
  bytes_ += n;
  return true;
}

void RelayGrant::reset() {
  if (budget_ && bytes_ > 0) budget_->give_back(bytes_);
  bytes_ = 0;
}

std::size_t next_relay_piece(std::size_t piece, std::size_t used, std::size_t limit,
                             std::size_t buffers, RelayGrant& grant) {
  if (used != piece) return piece;
  std::size_t next = std::min(piece * 2, limit);
  if (next <= RelayBudget::kFreePiece) return next;
  // Only the part past the free size is paid for (once, when crossing it).
  std::size_t paid_before = piece > RelayBudget::kFreePiece ? piece - RelayBudget::kFreePiece : 0;
  std::size_t growth = (next - RelayBudget::kFreePiece - paid_before) * buffers;
  if (growth == 0) return next;
  return grant.grow(growth) ? next : piece;
}

}  // namespace ancm::outofproc
