// The relay pipes' capacities: opened at 256 KiB while the application's
// pipe budget has room, smaller as it fills, not at all once it is spent; every
// capacity comes back when a pipe is discarded. Real pipes: the capacity is
// what the kernel gave (F_GETPIPE_SZ), not what was asked.
#include "relay_pipe.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "pipe_allowance.h"

namespace ancm::outofproc {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::size_t kKiB = 1024;

std::size_t kernel_capacity(const RelayPipe& pipe) {
  return static_cast<std::size_t>(::fcntl(pipe.write_end(), F_GETPIPE_SZ));
}

// Opens pipes against a 4 MiB budget until it refuses one, and returns their
// capacities in order.
std::vector<std::size_t> open_until_refused(RelayBudget& budget, std::vector<RelayPipe>& pipes) {
  std::vector<std::size_t> capacities;
  for (int i = 0; i < 100; ++i) {
    RelayPipe& pipe = pipes.emplace_back();
    if (!pipe.open(&budget)) {
      EXPECT_FALSE(pipe.is_open());
      break;
    }
    EXPECT_EQ(kernel_capacity(pipe), pipe.capacity());
    capacities.push_back(pipe.capacity());
  }
  return capacities;
}

TEST(RelayPipeTest, ManyBodiesGetSmallerPipesAsTheBudgetFills) {
  RelayBudget budget(4 * kMiB);
  std::vector<RelayPipe> pipes;
  pipes.reserve(100);
  std::vector<std::size_t> capacities = open_until_refused(budget, pipes);
  // 256 KiB pipes up to three quarters of the budget, 64 KiB up to all of
  // it: 12 + 16 pipes, and the next one is refused.
  std::vector<std::size_t> expected(12, 256 * kKiB);
  expected.insert(expected.end(), 16, 64 * kKiB);
  EXPECT_EQ(capacities, expected);
  EXPECT_EQ(budget.in_use(), 4 * kMiB);
  // A closed pipe's capacity comes back, and the next body gets it.
  pipes[0].discard();
  EXPECT_EQ(budget.in_use(), 4 * kMiB - 256 * kKiB);
  ASSERT_TRUE(pipes[0].open(&budget));
  EXPECT_EQ(pipes[0].capacity(), 64 * kKiB) << "three quarters of the budget are held";
  pipes.clear();
  EXPECT_EQ(budget.in_use(), 0u);
  RelayPipe next;
  ASSERT_TRUE(next.open(&budget));
  EXPECT_EQ(next.capacity(), 256 * kKiB);
}

TEST(RelayPipeTest, AnUploadsPipeTakesOnlyItsSmallCapacity) {
  RelayBudget budget(4 * kMiB);
  RelayPipe pipe;
  ASSERT_TRUE(pipe.open(&budget, RelayPipe::kLeastCapacity));
  EXPECT_EQ(pipe.capacity(), RelayPipe::kLeastCapacity);
  EXPECT_EQ(budget.in_use(), RelayPipe::kLeastCapacity);
  // Opening an open pipe changes nothing.
  ASSERT_TRUE(pipe.open(&budget));
  EXPECT_EQ(budget.in_use(), RelayPipe::kLeastCapacity);
  pipe.discard();
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(RelayPipeTest, ASpentBudgetOpensNoPipe) {
  RelayBudget budget(32 * kKiB);
  RelayPipe pipe;
  EXPECT_FALSE(pipe.open(&budget));
  EXPECT_FALSE(pipe.is_open());
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(PipeAllowanceTest, TheWorkerKeepsAQuarterOfTheAllowanceForItsChildren) {
  EXPECT_EQ(relay_pipe_budget(64 * kMiB), 48 * kMiB);
  EXPECT_EQ(relay_pipe_budget(8 * kMiB), 6 * kMiB);
  EXPECT_EQ(relay_pipe_budget(1024 * kMiB), 768 * kMiB);
}

TEST(PipeAllowanceTest, WithoutAnAllowanceTheKernelsDefaultIsAssumed) {
  EXPECT_EQ(relay_pipe_budget(std::nullopt), 48 * kMiB);
  EXPECT_EQ(relay_pipe_budget(0), 48 * kMiB);
}

// Whoever runs the test, root or not: the budget follows the allowance.
TEST(PipeAllowanceTest, ThisProcessGetsThreeQuartersOfItsAllowance) {
  std::ifstream file("/proc/sys/fs/pipe-user-pages-soft");
  std::size_t pages = 0;
  ASSERT_TRUE(file >> pages);
  std::size_t allowance = pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(relay_pipe_budget_here(), relay_pipe_budget(allowance));
}

}  // namespace
}  // namespace ancm::outofproc
