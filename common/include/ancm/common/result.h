// The one way native code reports a failure: a Result holds either the value
// or the error that says what went wrong (naming the file, process or port).
// std::expected is C++23; this is the small part of it the host needs.
#pragma once

#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace ancm::common {

// The default error: one line naming what failed and why.
using Error = std::string;

// The error side of a Result, so a Result<std::string> can still tell a
// value from an error: `return common::fail("port 80 is taken");`.
template <typename E>
struct Failed {
  E error;
};

template <typename E>
Failed<std::decay_t<E>> fail(E&& error) {
  return {std::forward<E>(error)};
}

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  template <typename U = T>
  requires std::constructible_from<T, U&&> Result(U&& value)
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}

  template <typename G>
  requires std::constructible_from<E, G&&> Result(Failed<G> failed)
      : state_(std::in_place_index<1>, std::move(failed.error)) {}

  bool ok() const { return state_.index() == 0; }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }

  E& error() & { return std::get<1>(state_); }
  const E& error() const& { return std::get<1>(state_); }
  E&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, E> state_;
};

// "May fail": success holds nothing (`return {};`).
template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;

  template <typename G>
  requires std::constructible_from<E, G&&> Result(Failed<G> failed)
      : error_(std::move(failed.error)) {}

  bool ok() const { return !error_.has_value(); }

  E& error() & { return *error_; }
  const E& error() const& { return *error_; }
  E&& error() && { return std::move(*error_); }

 private:
  std::optional<E> error_;
};

}  // namespace ancm::common
