// DeadlineTimer (common/deadline_timer.h): a deadline that moves without
// re-arming the Asio timer still fires exactly when it is due, once.
#include "ancm/common/deadline_timer.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace {

using ancm::common::DeadlineTimer;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Fixture : ::testing::Test {
  boost::asio::io_context io;
  DeadlineTimer timer{io.get_executor()};
  int fired = 0;
  Clock::time_point fired_at;
  const Clock::time_point start = Clock::now();

  auto on_due() {
    return [this] {
      ++fired;
      fired_at = Clock::now();
    };
  }
  // Runs f after delay, on the io_context.
  template <class F>
  void after(Clock::duration delay, F f) {
    auto step = std::make_shared<boost::asio::steady_timer>(io, delay);
    step->async_wait([step, f](const boost::system::error_code&) { f(); });
  }
};

using DeadlineTimerTest = Fixture;

TEST_F(DeadlineTimerTest, FiresOnceItsDeadlinePassed) {
  timer.arm(30ms, on_due());
  EXPECT_TRUE(timer.armed());
  io.run_for(5s);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(fired_at - start, 30ms);
  EXPECT_FALSE(timer.armed());
}

TEST_F(DeadlineTimerTest, ADeadlineMovedLaterFiresAtTheLaterTime) {
  timer.arm(30ms, on_due());
  after(10ms, [this] { timer.arm(150ms, on_due()); });
  io.run_for(5s);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(fired_at - start, 160ms);
}

TEST_F(DeadlineTimerTest, AnEarlierDeadlineDoesNotWaitForTheLaterOne) {
  timer.arm(1h, on_due());
  after(10ms, [this] { timer.arm(20ms, on_due()); });
  io.run_for(5s);  // returns early only if the one-hour wait was replaced
  EXPECT_EQ(fired, 1);
  EXPECT_GE(fired_at - start, 30ms);
}

TEST_F(DeadlineTimerTest, DisarmedItDoesNotFireAndItsWaitEnds) {
  timer.arm(30ms, on_due());
  after(5ms, [this] { timer.disarm(); });
  io.run_for(5s);  // the wait ends at its time, leaving no work
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(timer.armed());
}

TEST_F(DeadlineTimerTest, ReArmedAfterADisarmItFiresAtTheNewDeadline) {
  timer.arm(30ms, on_due());
  after(5ms, [this] { timer.disarm(); });
  after(60ms, [this] { timer.arm(20ms, on_due()); });
  io.run_for(5s);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(fired_at - start, 80ms);
}

TEST_F(DeadlineTimerTest, CancelReleasesWhatTheWaitHolds) {
  auto owner = std::make_shared<int>(0);
  timer.arm(1h, [owner] {});
  EXPECT_EQ(owner.use_count(), 2);
  timer.cancel();
  io.run_for(5s);  // returns early only if the wait ended
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(owner.use_count(), 1);
  EXPECT_FALSE(timer.armed());
}

TEST_F(DeadlineTimerTest, ArmedAgainRightAfterACancelItFires) {
  timer.arm(20ms, on_due());
  timer.cancel();             // its wait's end is still queued when the next arm comes
  timer.arm(40ms, on_due());  // later than the cancelled wait's end
  io.run_for(5s);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(fired_at - start, 40ms);
}

}  // namespace
