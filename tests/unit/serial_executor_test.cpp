// SerialExecutor (ancm/serial_executor.h): a connection's work one piece at a
// time, on a real io_context run by one thread (single-thread mode) or by
// several (strand mode).
#include "ancm/serial_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using Executor = ancm::abi::SerialExecutor<asio::io_context::executor_type>;

// Copied into every handler and I/O object: it must fit any_io_executor's
// in-place storage (a shared_ptr and a pointer), or each copy there allocates.
static_assert(sizeof(Executor) <= sizeof(std::shared_ptr<void>) + sizeof(void*));

class SerialExecutorOnOneThread : public ::testing::Test {
 protected:
  // Runs the loop on this thread until its work is done.
  void run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_{1};
  Executor a_ = Executor::on_one_thread(io_.get_executor());
  Executor b_ = Executor::on_one_thread(io_.get_executor());
};

TEST_F(SerialExecutorOnOneThread, IsNotAStrand) {
  EXPECT_FALSE(a_.is_strand());
  EXPECT_NE(a_, b_);
  EXPECT_EQ(a_, Executor(a_));
}

TEST_F(SerialExecutorOnOneThread, RunsInThisThreadOnlyInsideItsOwnWork) {
  std::vector<bool> seen;
  asio::post(io_, [&] {
    seen.push_back(a_.running_in_this_thread());  // the loop's thread, nobody's work
  });
  asio::post(a_, [&] {
    seen.push_back(a_.running_in_this_thread());
    seen.push_back(b_.running_in_this_thread());
  });
  run();
  EXPECT_EQ(seen, (std::vector<bool>{false, true, false}));
  EXPECT_FALSE(a_.running_in_this_thread()) << "outside the loop";
}

// A completion or dispatch on the loop's thread, outside anyone's work, runs
// at once (no second trip through the scheduler) and is marked as its own.
TEST_F(SerialExecutorOnOneThread, DispatchOutsideAnyWorkRunsAtOnce) {
  bool ran_inside = false;
  bool marked = false;
  asio::post(io_, [&] {
    asio::dispatch(a_, [&] {
      ran_inside = true;
      marked = a_.running_in_this_thread();
    });
    EXPECT_TRUE(ran_inside) << "the dispatch was posted, not run";
  });
  run();
  EXPECT_TRUE(ran_inside);
  EXPECT_TRUE(marked);
}

TEST_F(SerialExecutorOnOneThread, DispatchInsideItsOwnWorkRunsAtOnce) {
  std::vector<int> order;
  asio::post(a_, [&] {
    order.push_back(1);
    asio::dispatch(a_, [&] { order.push_back(2); });
    order.push_back(3);
  });
  run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

// As a strand: another executor's work is never run inside this one's.
TEST_F(SerialExecutorOnOneThread, DispatchInsideAnotherExecutorsWorkIsPosted) {
  std::vector<int> order;
  bool b_saw_a = true;
  asio::post(a_, [&] {
    order.push_back(1);
    asio::dispatch(b_, [&] {
      order.push_back(3);
      b_saw_a = a_.running_in_this_thread();
    });
    order.push_back(2);
  });
  run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(b_saw_a);
}

TEST_F(SerialExecutorOnOneThread, PostNeverRunsAtOnce) {
  std::vector<int> order;
  asio::post(a_, [&] {
    order.push_back(1);
    asio::post(a_, [&] { order.push_back(3); });
    order.push_back(2);
  });
  run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

// Work handed in from another thread (a handler's) runs on the loop's thread.
TEST_F(SerialExecutorOnOneThread, WorkFromAnotherThreadRunsOnTheLoop) {
  std::thread::id ran_on;
  bool marked = false;
  auto guard = asio::make_work_guard(io_);
  std::thread other([&] {
    asio::dispatch(a_, [&] {
      ran_on = std::this_thread::get_id();
      marked = a_.running_in_this_thread();
      guard.reset();
    });
  });
  run();
  other.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_TRUE(marked);
}

// An I/O object made from the executor completes on it, marked as its work.
TEST_F(SerialExecutorOnOneThread, TimerCompletionsAreTheExecutorsWork) {
  asio::steady_timer timer(a_);
  bool marked = false;
  bool other_marked = true;
  timer.expires_after(std::chrono::milliseconds(1));
  timer.async_wait([&](boost::system::error_code) {
    marked = a_.running_in_this_thread();
    other_marked = b_.running_in_this_thread();
  });
  run();
  EXPECT_TRUE(marked);
  EXPECT_FALSE(other_marked);
}

TEST_F(SerialExecutorOnOneThread, BoundHandlersRunAsTheExecutorsWork) {
  asio::steady_timer timer(io_);  // the loop's executor, not a_
  bool marked = false;
  timer.expires_after(std::chrono::milliseconds(1));
  timer.async_wait(asio::bind_executor(
      a_, [&](boost::system::error_code) { marked = a_.running_in_this_thread(); }));
  run();
  EXPECT_TRUE(marked);
}

TEST_F(SerialExecutorOnOneThread, KeepsItsModeThroughAnyIoExecutor) {
  asio::any_io_executor wrapped(a_);
  const auto* inside = wrapped.target<Executor>();
  ASSERT_NE(inside, nullptr);
  EXPECT_EQ(*inside, a_);
  bool marked = false;
  asio::post(wrapped, [&] { marked = a_.running_in_this_thread(); });
  run();
  EXPECT_TRUE(marked);
}

// Strand mode, with the loop on several threads: work of one executor never
// overlaps, and it knows its own work.
TEST(SerialExecutorWithStrand, WorkNeverOverlapsAcrossThreads) {
  asio::io_context io(4);
  auto serial = Executor::with_strand(io.get_executor());
  EXPECT_TRUE(serial.is_strand());
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> unmarked{0};
  int done = 0;  // touched only inside the executor's work
  constexpr int kWork = 4000;
  for (int i = 0; i < kWork; ++i) {
    asio::post(serial, [&] {
      if (inside.fetch_add(1) != 0) overlaps.fetch_add(1);
      if (!serial.running_in_this_thread()) unmarked.fetch_add(1);
      ++done;
      inside.fetch_sub(1);
    });
  }
  std::vector<std::jthread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&io] { io.run(); });
  threads.clear();  // joins
  EXPECT_EQ(done, kWork);
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(unmarked.load(), 0);
  EXPECT_FALSE(serial.running_in_this_thread());
}

}  // namespace
