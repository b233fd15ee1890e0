// Reads a file descriptor to its end (a pipe, a /proc file): write_all's
// counterpart.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

namespace ancm::common {

// Everything up to EOF, retrying EINTR; nullopt when a read fails.
inline std::optional<std::string> read_all(int fd) {
  std::string text;
  char chunk[4096];
  for (;;) {
    ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got == 0) return text;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    text.append(chunk, static_cast<std::size_t>(got));
  }
}

}  // namespace ancm::common
