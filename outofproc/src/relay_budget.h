// The relay buffer bytes the exchanges of one application may hold beyond
// their small pieces, so many large bodies at once cannot grow the worker
// without bound (256 one-MiB bodies held 64 KiB per buffer each: ~60 MiB).
// Past the budget an exchange keeps relaying with small pieces: slower per
// exchange, never refused. The application keeps a second one for its relay
// pipes' capacity (relay_pipe.h, pipe_allowance.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace ancm::outofproc {

class RelayBudget {
 public:
  // Pieces up to this size cost nothing from the budget: every exchange may
  // use them, whatever the budget holds.
  static constexpr std::size_t kFreePiece = 16 * 1024;
  // The default for one application: what large pieces may hold at once
  // past their free size (a Content-Length response's pieces only while on
  // their way to the client: relay_piece.h; other bodies' for the exchange).
  // 4 MiB lets 64 uploads at once all relay 64 KiB pieces (8 MiB gave 256
  // uploads 4 MiB more heap and no more throughput: bench/README.md).
  static constexpr std::size_t kDefaultLimit = 4 * 1024 * 1024;

  explicit RelayBudget(std::size_t limit = kDefaultLimit) : limit_(limit) {}
  RelayBudget(const RelayBudget&) = delete;
  RelayBudget& operator=(const RelayBudget&) = delete;

  // Takes n bytes if they fit under the limit, and under `ceiling` when it is
  // lower (a large claim may keep room for the small ones that come after
  // it); false takes nothing.
  [[nodiscard]] bool try_take(std::size_t n, std::size_t ceiling = SIZE_MAX);
  void give_back(std::size_t n) { in_use_.fetch_sub(n, std::memory_order_relaxed); }

  std::size_t limit() const { return limit_; }
  std::size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> in_use_{0};
};

// What one exchange took from a budget, given back when it is reset or
// destroyed: so no path (an error, a retry, a dropped exchange) leaks bytes.
class RelayGrant {
 public:
  RelayGrant() = default;
  explicit RelayGrant(RelayBudget* budget) : budget_(budget) {}
  ~RelayGrant() { reset(); }
  RelayGrant(RelayGrant&& other) noexcept;
  RelayGrant& operator=(RelayGrant&& other) noexcept;
  RelayGrant(const RelayGrant&) = delete;
  RelayGrant& operator=(const RelayGrant&) = delete;

  // Adds n bytes to the grant if the budget has them under `ceiling`
  // (always, without a budget).
  [[nodiscard]] bool grow(std::size_t n, std::size_t ceiling = SIZE_MAX);
  // Gives everything back; the grant may grow again afterwards.
  void reset();
  std::size_t bytes() const { return bytes_; }

 private:
  RelayBudget* budget_ = nullptr;
  std::size_t bytes_ = 0;
};

// The size of an exchange's next piece: doubled, up to limit, after a piece
// came full, as long as the grant can pay for the growth past kFreePiece of
// each of the `buffers` buffers that piece size fills; otherwise unchanged.
std::size_t next_relay_piece(std::size_t piece, std::size_t used, std::size_t limit,
                             std::size_t buffers, RelayGrant& grant);

}  // namespace ancm::outofproc
