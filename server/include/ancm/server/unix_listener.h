// Unix domain socket listeners (unix: URLs): the master binds the socket file
// with the mode and group it was told, replaces a stale file a dead server
// left, refuses a path a live server or a regular file holds, and removes
// its files when it exits. Servers that start at the same moment on one path
// are kept apart by a lock on the sibling file "<path>.lock" (see
// bind_unix_listener).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "ancm/common/result.h"
#include "ancm/common/unique_fd.h"
#include "ancm/server/options.h"

namespace ancm::server {

// The reasons bind_unix_listener gives after "cannot bind unix:/path: ".
inline constexpr std::string_view kAnotherServerListens = "another server is listening on it";
// Another process holds "<path>.lock": it is binding or serving the path.
inline constexpr std::string_view kAnotherServerHoldsTheLock = "another server holds its lock file";
// The lock file beside a socket file: "<path>" + this.
inline constexpr std::string_view kLockFileSuffix = ".lock";
inline constexpr std::string_view kNotASocket = "the path exists and is not a socket";
// Printed by the master when a socket file nobody listened on was replaced:
// "ancm-host: removed the stale socket file /run/app.sock (nobody listened on it)".
inline constexpr std::string_view kRemovedStaleSocket = "removed the stale socket file";

// A socket file this process bound, and the lock on "<path>.lock" held while
// it is. Dropping it removes the socket file, unless the path no longer holds
// that same socket (another server replaced it), then releases the lock.
class UnixSocketFile {
 public:
  UnixSocketFile(std::string path, dev_t device, ino_t inode, common::UniqueFd lock = {})
      : path_(std::move(path)), device_(device), inode_(inode), lock_(std::move(lock)) {}
  UnixSocketFile(UnixSocketFile&& other) noexcept;
  UnixSocketFile& operator=(UnixSocketFile&& other) noexcept;
  UnixSocketFile(const UnixSocketFile&) = delete;
  UnixSocketFile& operator=(const UnixSocketFile&) = delete;
  ~UnixSocketFile() { remove(); }

  const std::string& path() const { return path_; }

 private:
  void remove();

  std::string path_;  // empty once moved from
  dev_t device_ = 0;
  ino_t inode_ = 0;
  common::UniqueFd lock_;  // flock'ed, close-on-exec; released after the file is removed
};

struct BoundUnixSocket {
  common::UniqueFd fd;  // listening, close-on-exec
  UnixSocketFile file;
  bool replaced_stale_file = false;  // a dead server's socket file was there
};

// Binds and listens on path (absolute, as parse_listen_url checked). The file
// is created with the mode (the umask during bind), never chmod-ed by path;
// the group is set (not following a symlink) before listen: until listen a
// connect is refused, so no client reaches the socket under another group. A socket file
// at path that refuses connections is stale and replaced; one a server
// answers on, or anything that is not a socket, is left alone and refused.
// All of it, and the listener's whole life, happens under an exclusive flock
// on "<path>.lock" (created 0600 if missing, never removed): a second server
// on the same path is refused with kAnotherServerHoldsTheLock instead of
// taking the first one's fresh (bound, not yet listening, so refusing)
// socket for a stale one and unlinking it.
common::Result<BoundUnixSocket> bind_unix_listener(const std::string& path,
                                                   const UnixSocketOptions& options,
                                                   int backlog = 1024);

}  // namespace ancm::server
