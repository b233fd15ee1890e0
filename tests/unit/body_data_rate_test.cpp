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
  // At `now` the waiting read has `left`, and gives up then, not a millisecond before.
  void expect_gives_up(Clock::duration now, Clock::duration left) {
    EXPECT_EQ(clock_.time_left(at(now)), left);
    EXPECT_FALSE(clock_.too_slow(at(now + left - 1ms)));
    EXPECT_TRUE(clock_.too_slow(at(now + left)));
  }
  // A read that begins to wait at the start, under this rate.
  void wait_from_start(MinBodyRate rate) {
    clock_.set(rate);
    clock_.wait_started(at(0s));
  }

  BodyDataRateClock clock_;
  Clock::time_point start_ = Clock::now();
};

TEST_F(BodyDataRateTest, AWaitingReadHasTheGracePeriodFirst) {
  wait_from_start({240, 5s});
  EXPECT_EQ(clock_.time_left(at(0s)), Clock::duration(5s));
  expect_gives_up(2s, 3s);
}

TEST_F(BodyDataRateTest, OnlyTheReadsWaitsCount) {
  wait_from_start({240, 5s});
  clock_.wait_ended(at(3s));
  clock_.count(10);
  // The app took a minute before it read again: not the client's time.
  clock_.wait_started(at(63s));
  expect_gives_up(63s, 2s);
}

TEST_F(BodyDataRateTest, BytesAtTheRateBuyTimePastTheGracePeriod) {
  wait_from_start({100, 1s});
  clock_.wait_ended(at(1s));
  clock_.count(1000);  // ten seconds' worth at 100 B/s
  clock_.wait_started(at(1s));
  expect_gives_up(1s, 9s);
}

TEST_F(BodyDataRateTest, ARateOfZeroIsNoMinimum) {
  wait_from_start({0, 5s});
  EXPECT_FALSE(clock_.time_left(at(1h)).has_value());
  EXPECT_FALSE(clock_.too_slow(at(1h)));
}

TEST_F(BodyDataRateTest, NoReadWaitingIsNeverTooSlow) {
  wait_from_start({240, 1s});
  clock_.wait_ended(at(10s));
  EXPECT_FALSE(clock_.waiting());
  EXPECT_FALSE(clock_.too_slow(at(20s)));
}

TEST_F(BodyDataRateTest, ANewRequestStartsAtKestrelsDefaultWithNothingCounted) {
  wait_from_start({0, 1s});
  clock_.restart();
  EXPECT_FALSE(clock_.waiting());
  clock_.wait_started(at(0s));
  EXPECT_EQ(clock_.time_left(at(0s)), Clock::duration(5s));  // 240 B/s after 5 s
}

TEST_F(BodyDataRateTest, ASecondStartWhileWaitingKeepsTheFirst) {
  wait_from_start({240, 5s});
  clock_.wait_started(at(3s));
  EXPECT_EQ(clock_.time_left(at(3s)), Clock::duration(2s));
}

}  // namespace
}  // namespace ancm::server
