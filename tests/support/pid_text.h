// A pid as a test app's /pid endpoint writes it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "host_process.h"
#include "http_client.h"

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

// Polls the app's /pid on `port` until a process other than `first` answers
// (the child that replaced it); -1 when none did in time.
inline pid_t replacement_pid(uint16_t port, pid_t first,
                             std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  pid_t next = -1;
  bool replaced = eventually(
      [&] {
        auto response = http_get(port, "/pid", "", timeout);
        next = response && response->status == 200 ? to_pid(response->body) : -1;
        return next > 0 && next != first;
      },
      timeout);
  return replaced ? next : -1;
}

}  // namespace ancm::test
