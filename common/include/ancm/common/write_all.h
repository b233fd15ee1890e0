// Writes every byte to a file descriptor (a log file, a pipe, stderr).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace ancm::common {

// Retries short writes and EINTR; stops quietly on any other error (a full
// disk must not stop the app: the log just ends).
inline void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace ancm::common
