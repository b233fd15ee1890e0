// How a fuzz target reports a broken invariant: a message, then abort(),
// which libFuzzer turns into a crash with the input kept.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace ancm::fuzz {

[[noreturn]] inline void violated(const char* target, const char* what) {
  std::fprintf(stderr, "%s: %s\n", target, what);
  std::abort();
}

inline void require(bool condition, const char* target, const char* what) {
  if (!condition) violated(target, what);
}

}  // namespace ancm::fuzz
