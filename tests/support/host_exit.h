// How a test expects an ancm-host to end.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>

#include "host_process.h"

namespace ancm::test {

// The host exits normally with `code` (not by a signal) within limit, a
// safety net: the wait returns as soon as it exits.
inline void expect_exit_code(HostProcess& host, int code,
                             std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  auto status = host.wait_exit(limit);
  ASSERT_TRUE(status) << host.output();
  EXPECT_TRUE(WIFEXITED(*status)) << host.output();
  EXPECT_EQ(WEXITSTATUS(*status), code) << host.output();
}

}  // namespace ancm::test
