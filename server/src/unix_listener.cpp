#include "ancm/server/unix_listener.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "ancm/common/http_syntax.h"
#include "ancm/server/listen_address.h"

namespace ancm::server {
namespace {

sockaddr_un socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), std::min(path.size(), sizeof address.sun_path - 1));
  return address;
}

common::Result<bool> someone_listens(const sockaddr_un& address) {
  common::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!probe) return common::fail(std::string("cannot create a socket: ") + std::strerror(errno));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return true;
  }
  // EAGAIN: a listener whose backlog is full, alive all the same.
  if (errno == EAGAIN || errno == EINPROGRESS) return true;
  if (errno == ECONNREFUSED || errno == ENOENT) return false;
  return common::fail(std::string("cannot tell whether a server listens on it: ") +
                      std::strerror(errno));
}

// Leaves path free for bind: nothing there, or a stale socket file removed
// (then true).
common::Result<bool> clear_stale_socket(const std::string& path, const sockaddr_un& address) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) return false;
    return common::fail(std::string("cannot look at the path: ") + std::strerror(errno));
  }
  if (!S_ISSOCK(status.st_mode)) return common::fail(std::string(kNotASocket) + " (left as it is)");
  auto listening = someone_listens(address);
  if (!listening.ok()) return common::fail(std::move(listening).error());
  if (listening.value()) return common::fail(std::string(kAnotherServerListens));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return common::fail(std::string("cannot remove the stale socket file: ") +
                        std::strerror(errno));
  }
  return true;
}

// Why a lock and not only the probe: two servers started at once both see the
// path stale (or one sees the other's socket bound but not listening yet,
// which refuses connections just as a dead one does); both unlink and bind,
// and the first one's socket is left serving a file that is gone. Binding to
// a temporary name and rename()-ing it over the path does not help: the
// check and the rename are still two steps, and the last rename wins. The
// lock makes check, unlink, bind and listen one step per path, and it is
// held as long as the listener, so a later server sees it too. flock is
// released by the kernel when the holder dies (no stale lock to clean up, so
// the lock file is never removed: removing it would let a third server lock a
// new file while the second holds the old one). A server that does not take
// the lock (another program) is still found by the probe.
// Readable by all: flock needs only a read-only descriptor, so a server run
// later as another user can still take it.
common::Result<common::UniqueFd> lock_path(const std::string& path) {
  std::string lock_file = path + std::string(kLockFileSuffix);
  common::UniqueFd fd(
      ::open(lock_file.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644));
  if (!fd) {
    return common::fail("cannot open its lock file " + lock_file + ": " + std::strerror(errno));
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return common::fail(std::string(kAnotherServerHoldsTheLock) + " (" + lock_file + ")");
    }
    return common::fail("cannot lock " + lock_file + ": " + std::strerror(errno));
  }
  return fd;
}

// A group name, or a number as systemd's SocketGroup= takes it.
common::Result<gid_t> group_id(const std::string& name) {
  if (!name.empty() && name.size() < 10 &&
      std::all_of(name.begin(), name.end(), common::is_digit)) {
    return static_cast<gid_t>(std::stoul(name));
  }
  struct group entry {};
  struct group* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  int error = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (error != 0) {
    return common::fail("cannot look up the group '" + name + "': " + std::strerror(error));
  }
  if (!found) return common::fail("there is no group named '" + name + "'");
  return found->gr_gid;
}

// The file bind creates gets exactly the mode: bind applies the umask, so
// the mode is set as the file is made and never by path afterwards (a path
// another user could swap for a symlink in between).
class UmaskForMode {
 public:
  explicit UmaskForMode(unsigned mode) : previous_(::umask(static_cast<mode_t>(~mode & 0777))) {}
  ~UmaskForMode() { ::umask(previous_); }
  UmaskForMode(const UmaskForMode&) = delete;
  UmaskForMode& operator=(const UmaskForMode&) = delete;

 private:
  mode_t previous_;
};

// The group, without following a symlink. No client connects before listen,
// so the creator's group holding the group bits until here admits no one.
common::Result<void> set_group(const std::string& path, const UnixSocketOptions& options) {
  if (options.group.empty()) return {};
  auto gid = group_id(options.group);
  if (!gid.ok()) return common::fail(std::move(gid).error());
  if (::lchown(path.c_str(), static_cast<uid_t>(-1), gid.value()) != 0) {
    return common::fail("cannot give the socket file to the group '" + options.group +
                        "': " + std::strerror(errno));
  }
  return {};
}

}  // namespace

UnixSocketFile::UnixSocketFile(UnixSocketFile&& other) noexcept
    : path_(std::exchange(other.path_, {})),
      device_(other.device_),
      inode_(other.inode_),
      lock_(std::move(other.lock_)) {}

UnixSocketFile& UnixSocketFile::operator=(UnixSocketFile&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    device_ = other.device_;
    inode_ = other.inode_;
    lock_ = std::move(other.lock_);
  }
  return *this;
}

void UnixSocketFile::remove() {
  if (path_.empty()) return;
  struct stat status {};
  bool ours = ::lstat(path_.c_str(), &status) == 0 && S_ISSOCK(status.st_mode) &&
              status.st_dev == device_ && status.st_ino == inode_;
  if (ours) ::unlink(path_.c_str());
  path_.clear();
  lock_.reset();
}

common::Result<BoundUnixSocket> bind_unix_listener(const std::string& path,
                                                   const UnixSocketOptions& options, int backlog) {
  auto failed = [&path](std::string_view why) {
    return common::fail(std::string(kCannotBind) + " unix:" + path + ": " + std::string(why));
  };
  auto address = socket_address(path);
  auto lock = lock_path(path);
  if (!lock.ok()) return failed(lock.error());
  auto cleared = clear_stale_socket(path, address);
  if (!cleared.ok()) return failed(cleared.error());
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return failed(std::string("cannot create a socket: ") + std::strerror(errno));
  int bound = 0;
  {
    UmaskForMode creating(options.mode);
    bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
  }
  if (bound != 0) return failed(std::strerror(errno));
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    return failed(std::string("the socket file vanished after bind: ") + std::strerror(errno));
  }
  // Ours from here: removed again if what follows fails.
  UnixSocketFile file(path, status.st_dev, status.st_ino, std::move(lock).value());
  if (auto group = set_group(path, options); !group.ok()) return failed(group.error());
  if (::listen(fd.get(), backlog) != 0) {
    return failed(std::string("cannot listen: ") + std::strerror(errno));
  }
  return BoundUnixSocket{std::move(fd), std::move(file), cleared.value()};
}

}  // namespace ancm::server
