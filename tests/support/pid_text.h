// A pid as a test app's /pid endpoint writes it.
#pragma once

#include <sys/types.h>

#include <string>

namespace ancm::test {

// -1 when the text is not a number (no answer, an error page): never a pid,
// so a test compares against it only after checking it is > 0.
inline pid_t to_pid(const std::string& text) {
  try {
    return std::stoi(text);
  } catch (...) {
    return -1;
  }
}

}  // namespace ancm::test
