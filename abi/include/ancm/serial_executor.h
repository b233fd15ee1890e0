// SerialExecutor: runs one connection's work one piece at a time, as an Asio
// strand does, without a strand's cost where the loop has a single thread.
//
// - Strand mode (the io_context runs on several threads): Asio's strand.
// - Single-thread mode (one thread runs the io_context): that thread already
//   keeps work apart, so work runs straight on the io_context's executor. A
//   strand there only added, to every completion, a second trip through the
//   scheduler, a lock and two allocations.
//
// What a strand promises still holds in single-thread mode. A thread marks
// (in a call stack, as Asio marks its strands) whose work it is running.
// Possibly-blocking work (a completion, a dispatch) runs at once only on the
// loop's thread, and only when that thread runs this executor's work or
// nobody's; inside another executor's work it is posted, as a strand would
// post it. running_in_this_thread() answers for this executor's own work only.
#pragma once

#include <boost/asio/detail/call_stack.hpp>
#include <boost/asio/detail/strand_executor_service.hpp>
#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>
#include <memory>
#include <type_traits>
#include <utility>

namespace ancm::abi {

// What all copies of one SerialExecutor share. Its address tells this
// executor's work from other ones' in single-thread mode. Visible by default
// (libraries are built with hidden visibility) so that the call stack below
// is one symbol that the host exports and the libraries bind to.
struct __attribute__((visibility("default"))) SerialState {
  // Null in single-thread mode.
  boost::asio::detail::strand_executor_service::implementation_type strand;
};

// The marks of the work a thread runs. Asio's call stacks are one per thread
// and shared with the handler libraries (the host exports them).
using SerialWorkStack = boost::asio::detail::call_stack<SerialState>;

template <typename Inner>
class SerialExecutor {
 public:
  using inner_executor_type = Inner;

  // Strand mode: work goes through a new strand on inner's io_context.
  static SerialExecutor with_strand(Inner inner) {
    auto state = std::make_shared<SerialState>();
    auto& context = boost::asio::query(inner, boost::asio::execution::context);
    state->strand = boost::asio::use_service<boost::asio::detail::strand_executor_service>(context)
                        .create_implementation();
    return SerialExecutor(std::move(inner), std::move(state));
  }

  // Single-thread mode: only one thread runs inner's io_context.
  static SerialExecutor on_one_thread(Inner inner) {
    return SerialExecutor(std::move(inner), std::make_shared<SerialState>());
  }

  bool is_strand() const noexcept { return state_->strand != nullptr; }
  Inner get_inner_executor() const noexcept { return inner_; }

  // True while this thread runs this executor's work.
  bool running_in_this_thread() const noexcept {
    using boost::asio::detail::strand_executor_service;
    if (is_strand()) return strand_executor_service::running_in_this_thread(state_->strand);
    return inner_.running_in_this_thread() && SerialWorkStack::contains(state_.get());
  }

  template <typename Function>
  void execute(Function&& f) const {
    if (is_strand()) {
      boost::asio::detail::strand_executor_service::execute(state_->strand, inner_,
                                                            std::forward<Function>(f));
      return;
    }
    namespace execution = boost::asio::execution;
    bool may_run_now = boost::asio::query(inner_, execution::blocking) != execution::blocking.never;
    if (may_run_now && inner_.running_in_this_thread() && mine_or_nobodys()) {
      std::decay_t<Function> work(std::forward<Function>(f));
      SerialWorkStack::context mark(state_.get());
      work();
      return;
    }
    boost::asio::require(inner_, execution::blocking.never)
        .execute(Marked<std::decay_t<Function>>{state_, std::forward<Function>(f)});
  }

  template <typename Property>
  auto query(const Property& p) const
      -> decltype(boost::asio::query(std::declval<const Inner&>(), p)) {
    return boost::asio::query(inner_, p);
  }

  template <typename Property, typename = std::enable_if_t<!std::is_convertible_v<
                                   Property, boost::asio::execution::blocking_t::always_t>>>
  auto require(const Property& p) const -> SerialExecutor<
      std::decay_t<decltype(boost::asio::require(std::declval<const Inner&>(), p))>> {
    return {boost::asio::require(inner_, p), state_};
  }

  template <typename Property>
  auto prefer(const Property& p) const -> SerialExecutor<
      std::decay_t<decltype(boost::asio::prefer(std::declval<const Inner&>(), p))>> {
    return {boost::asio::prefer(inner_, p), state_};
  }

  friend bool operator==(const SerialExecutor& a, const SerialExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.state_ == b.state_;
  }
  friend bool operator!=(const SerialExecutor& a, const SerialExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  template <typename>
  friend class SerialExecutor;

  SerialExecutor(Inner inner, std::shared_ptr<SerialState> state) noexcept
      : inner_(std::move(inner)), state_(std::move(state)) {}

  // Posted work, marked as this executor's while it runs.
  template <typename Function>
  struct Marked {
    std::shared_ptr<SerialState> state;
    Function function;
    void operator()() {
      SerialWorkStack::context mark(state.get());
      function();
    }
  };

  bool mine_or_nobodys() const noexcept {
    return SerialWorkStack::top() == nullptr || SerialWorkStack::contains(state_.get()) != nullptr;
  }

  Inner inner_;
  std::shared_ptr<SerialState> state_;
};

}  // namespace ancm::abi
