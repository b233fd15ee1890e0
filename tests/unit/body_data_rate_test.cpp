// The minimum request body data rate's arithmetic, on a clock the test
// moves: only the reads' waits count, the grace period first, then the
// time the bytes earned at the rate.
#include "body_data_rate.h"

#include <gtest/gtest.h>

#include <chrono>

namespace ancm::server {
namespace {

using namespace std::chrono_literals;
using Clock = BodyDataRateClock::Clock;

class BodyDataRateTest : public ::testing::Test {
 protected:
  Clock::time_point at(Clock::duration since_start) const { return start_ + since_start; }

  BodyDataRateClock clock_;
  Clock::time_point start_ = Clock::now();
};

TEST_F(BodyDataRateTest, AWaitingReadHasTheGracePeriodFirst) {
  clock_.set({240, 5s});
  clock_.wait_started(at(0s));
  EXPECT_EQ(clock_.time_left(at(0s)), Clock::duration(5s));
  EXPECT_EQ(clock_.time_left(at(2s)), Clock::duration(3s));
  EXPECT_FALSE(clock_.too_slow(at(4999ms)));
  EXPECT_TRUE(clock_.too_slow(at(5s)));
}

TEST_F(BodyDataRateTest, OnlyTheReadsWaitsCount) {
  clock_.set({240, 5s});
  clock_.wait_started(at(0s));
  clock_.wait_ended(at(3s));
  clock_.count(10);
  // The app took a minute before it read again: not the client's time.
  clock_.wait_started(at(63s));
  EXPECT_EQ(clock_.time_left(at(63s)), Clock::duration(2s));
  EXPECT_FALSE(clock_.too_slow(at(64s)));
  EXPECT_TRUE(clock_.too_slow(at(65s)));
}

TEST_F(BodyDataRateTest, BytesAtTheRateBuyTimePastTheGracePeriod) {
  clock_.set({100, 1s});
  clock_.wait_started(at(0s));
  clock_.wait_ended(at(1s));
  clock_.count(1000);  // ten seconds' worth at 100 B/s
  clock_.wait_started(at(1s));
  EXPECT_EQ(clock_.time_left(at(1s)), Clock::duration(9s));
  EXPECT_FALSE(clock_.too_slow(at(9s)));
  EXPECT_TRUE(clock_.too_slow(at(10s)));
}

TEST_F(BodyDataRateTest, ARateOfZeroIsNoMinimum) {
  clock_.set({0, 5s});
  clock_.wait_started(at(0s));
  EXPECT_FALSE(clock_.time_left(at(1h)).has_value());
  EXPECT_FALSE(clock_.too_slow(at(1h)));
}

TEST_F(BodyDataRateTest, NoReadWaitingIsNeverTooSlow) {
  clock_.set({240, 1s});
  clock_.wait_started(at(0s));
  clock_.wait_ended(at(10s));
  EXPECT_FALSE(clock_.waiting());
  EXPECT_FALSE(clock_.too_slow(at(20s)));
}

TEST_F(BodyDataRateTest, ANewRequestStartsAtKestrelsDefaultWithNothingCounted) {
  clock_.set({0, 1s});
  clock_.wait_started(at(0s));
  clock_.restart();
  EXPECT_FALSE(clock_.waiting());
  clock_.wait_started(at(0s));
  EXPECT_EQ(clock_.time_left(at(0s)), Clock::duration(5s));  // 240 B/s after 5 s
}

TEST_F(BodyDataRateTest, ASecondStartWhileWaitingKeepsTheFirst) {
  clock_.set({240, 5s});
  clock_.wait_started(at(0s));
  clock_.wait_started(at(3s));
  EXPECT_EQ(clock_.time_left(at(3s)), Clock::duration(2s));
}

}  // namespace
}  // namespace ancm::server
