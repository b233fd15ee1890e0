// A response body piece held only in flight: as large as asked (up to the
// limit) while the application's relay budget pays past the free size, the
// free size otherwise, and everything given back on release.
#include "relay_piece.h"

#include <gtest/gtest.h>

namespace ancm::outofproc {
namespace {

constexpr std::size_t kFree = RelayBudget::kFreePiece;

TEST(RelayPieceTest, APieceIsAsLargeAsAskedWhileTheBudgetPays) {
  RelayBudget budget(1 << 20);
  RelayPiece piece(&budget);
  ASSERT_NE(piece.take(100 * 1024), nullptr);
  EXPECT_EQ(piece.size(), 100u * 1024);
  EXPECT_EQ(budget.in_use(), 100u * 1024 - kFree);
}

TEST(RelayPieceTest, SmallPiecesCostNothing) {
  RelayBudget budget(0);
  RelayPiece piece(&budget);
  piece.take(kFree);
  EXPECT_EQ(piece.size(), kFree);
  piece.take(0);
  EXPECT_EQ(piece.size(), 1u) << "a piece always has room for the read that finds the end";
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(RelayPieceTest, NoPieceIsLargerThanTheLimit) {
  RelayBudget budget(64 << 20);
  RelayPiece piece(&budget);
  piece.take(8 << 20);
  EXPECT_EQ(piece.size(), RelayPiece::kMaxPiece);
  EXPECT_EQ(budget.in_use(), RelayPiece::kMaxPiece - kFree);
}

TEST(RelayPieceTest, PastTheBudgetAPieceHasTheFreeSize) {
  RelayBudget budget(1 << 20);
  ASSERT_TRUE(budget.try_take(budget.limit() - 10));
  RelayPiece piece(&budget);
  piece.take(200 * 1024);
  EXPECT_EQ(piece.size(), kFree);
  EXPECT_EQ(budget.in_use(), budget.limit() - 10);
  budget.give_back(budget.limit() - 10);
}

TEST(RelayPieceTest, ReleaseAndRetakeGiveTheBudgetBack) {
  RelayBudget budget(1 << 20);
  RelayPiece piece(&budget);
  piece.take(256 * 1024);
  piece.take(64 * 1024);  // a new take releases the old piece first
  EXPECT_EQ(budget.in_use(), 64u * 1024 - kFree);
  piece.release();
  EXPECT_EQ(piece.size(), 0u);
  EXPECT_EQ(piece.data(), nullptr);
  EXPECT_EQ(budget.in_use(), 0u);
  {
    RelayPiece dropped(&budget);
    dropped.take(128 * 1024);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

}  // namespace
}  // namespace ancm::outofproc
