// A process's resident memory, for the tests that bound what the worker
// holds under many connections or large bodies.
#pragma once

#include <sys/types.h>

#include <fstream>
#include <string>

// AddressSanitizer's allocator (redzones, quarantine) makes RSS meaningless:
// the memory bounds are skipped under it.
#if defined(__SANITIZE_ADDRESS__)
#define ANCM_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ANCM_TEST_ASAN 1
#endif
#endif

namespace ancm::test {

// VmRSS of pid in KiB; 0 when it cannot be read.
inline long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace ancm::test
