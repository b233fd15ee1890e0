// Checks shared by the state-table tests (connection_state_test,
// proxy_exchange_state_test): is_legal and name are found next to the enum.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>

namespace ancm::test {

// Every step of a path is a legal move.
template <class State>
void expect_path(std::initializer_list<State> path) {
  const State* previous = nullptr;
  for (const auto& state : path) {
    if (previous) {
      EXPECT_TRUE(is_legal(*previous, state)) << name(*previous) << " -> " << name(state);
    }
    previous = &state;
  }
}

}  // namespace ancm::test
