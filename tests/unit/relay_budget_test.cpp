// The out-of-process relay budget: pieces grow past the free size only while
// the application's budget pays for it, everything taken comes back, and an
// exchange past the budget keeps small pieces instead of failing.
#include "relay_budget.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace ancm::outofproc {
namespace {

constexpr std::size_t kFree = RelayBudget::kFreePiece;
constexpr std::size_t kMax = 64 * 1024;

// Grows a piece as a large body would (every read fills it) and returns it.
std::size_t grow_fully(std::size_t buffers, RelayGrant& grant) {
  std::size_t piece = 4 * 1024;
  for (int i = 0; i < 10; ++i) piece = next_relay_piece(piece, piece, kMax, buffers, grant);
  return piece;
}

TEST(RelayBudgetTest, TakesOnlyWhatFits) {
  RelayBudget budget(100);
  EXPECT_TRUE(budget.try_take(60));
  EXPECT_FALSE(budget.try_take(41));
  EXPECT_EQ(budget.in_use(), 60u);
  EXPECT_TRUE(budget.try_take(40));
  EXPECT_FALSE(budget.try_take(1));
  budget.give_back(100);
  EXPECT_EQ(budget.in_use(), 0u);
  EXPECT_FALSE(budget.try_take(101));
}

TEST(RelayBudgetTest, ACeilingBelowTheLimitKeepsRoomForOthers) {
  RelayBudget budget(100);
  EXPECT_FALSE(budget.try_take(60, 50));
  EXPECT_TRUE(budget.try_take(40, 50));
  EXPECT_FALSE(budget.try_take(20, 50));
  EXPECT_TRUE(budget.try_take(20));
  // A ceiling above the limit does not lift it.
  EXPECT_FALSE(budget.try_take(41, 1000));
  EXPECT_EQ(budget.in_use(), 60u);
}

TEST(RelayBudgetTest, PiecesUpToTheFreeSizeCostNothing) {
  RelayBudget budget(0);
  RelayGrant grant(&budget);
  EXPECT_EQ(grow_fully(2, grant), kFree);
  EXPECT_EQ(grant.bytes(), 0u);
}

TEST(RelayBudgetTest, APieceNotFilledDoesNotGrow) {
  RelayBudget budget(1 << 20);
  RelayGrant grant(&budget);
  EXPECT_EQ(next_relay_piece(kFree, kFree - 1, kMax, 2, grant), kFree);
  EXPECT_EQ(grant.bytes(), 0u);
}

TEST(RelayBudgetTest, GrowthPastTheFreeSizeIsPaidPerBuffer) {
  RelayBudget budget(1 << 20);
  RelayGrant grant(&budget);
  EXPECT_EQ(grow_fully(2, grant), kMax);
  EXPECT_EQ(grant.bytes(), 2 * (kMax - kFree));
  EXPECT_EQ(budget.in_use(), grant.bytes());
  // At the limit a full piece stays as it is and costs nothing more.
  EXPECT_EQ(next_relay_piece(kMax, kMax, kMax, 2, grant), kMax);
  EXPECT_EQ(grant.bytes(), 2 * (kMax - kFree));
}

// 256 exchanges at once against a budget for a few: the first ones get full
// pieces, the rest keep relaying with the free size, and the bytes held
// never pass the limit.
TEST(RelayBudgetTest, ManyExchangesDegradeToSmallPiecesWithinTheLimit) {
  constexpr std::size_t kLimit = 1024 * 1024;
  RelayBudget budget(kLimit);
  std::vector<RelayGrant> grants;
  std::size_t full = 0;
  std::size_t small = 0;
  for (int i = 0; i < 256; ++i) {
    grants.emplace_back(&budget);
    std::size_t piece = grow_fully(2, grants.back());
    EXPECT_GE(piece, kFree);
    if (piece == kMax) ++full;
    if (piece == kFree) ++small;
    EXPECT_LE(budget.in_use(), kLimit);
  }
  EXPECT_EQ(full, kLimit / (2 * (kMax - kFree)));
  EXPECT_GT(small, 200u);
  // The ones that ended give their bytes back, and a new exchange grows again.
  grants.clear();
  EXPECT_EQ(budget.in_use(), 0u);
  RelayGrant next(&budget);
  EXPECT_EQ(grow_fully(2, next), kMax);
}

TEST(RelayBudgetTest, AGrantGivesBackOnResetAndMove) {
  RelayBudget budget(1 << 20);
  RelayGrant grant(&budget);
  ASSERT_TRUE(grant.grow(1000));
  RelayGrant moved(std::move(grant));
  EXPECT_EQ(grant.bytes(), 0u);
  EXPECT_EQ(budget.in_use(), 1000u);
  moved.reset();
  EXPECT_EQ(budget.in_use(), 0u);
  ASSERT_TRUE(moved.grow(10));
  {
    RelayGrant other(&budget);
    ASSERT_TRUE(other.grow(5));
    moved = std::move(other);  // gives back its own 10 first
  }
  EXPECT_EQ(budget.in_use(), 5u);
}

TEST(RelayBudgetTest, NoBudgetMeansNoLimit) {
  RelayGrant grant;
  EXPECT_EQ(grow_fully(2, grant), kMax);
}

}  // namespace
}  // namespace ancm::outofproc
