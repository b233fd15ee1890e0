// unix: listeners on real sockets: the socket file's mode and group, a stale
// file replaced, a live server's or a regular file refused, and the file
// removed when the listener's owner drops it (only while it is still ours).
#include "ancm/server/unix_listener.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include "ancm/server/listen_address.h"
#include "temp_dir.h"

namespace ancm::server {
namespace {

using test::TempDir;

struct stat status_of(const std::filesystem::path& path) {
  struct stat status {};
  EXPECT_EQ(::lstat(path.c_str(), &status), 0) << path;
  return status;
}

// A socket file as a server that died leaves it: bound, then closed.
void leave_stale_socket(const std::filesystem::path& path) {
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
}

// A server of another program (no lock file) listening on path.
common::UniqueFd listen_without_lock(const std::filesystem::path& path) {
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::listen(fd.get(), 16), 0);
  return fd;
}

bool accepts_connections(const std::filesystem::path& path) {
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

TEST(UnixListener, BindsWithTheModeAndListsItsUrl) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  auto bound = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(bound.ok()) << bound.error();
  auto status = status_of(path);
  EXPECT_TRUE(S_ISSOCK(status.st_mode));
  EXPECT_EQ(status.st_mode & 07777, 0660u);
  EXPECT_TRUE(accepts_connections(path));
  auto address = local_address(bound.value().fd.get());
  EXPECT_TRUE(address.is_unix);
  EXPECT_EQ(address.url(), "http://unix:" + path.string());
  EXPECT_EQ(local_address(bound.value().fd.get(), true).url(), "https://unix:" + path.string());
}

TEST(UnixListener, TakesTheModeAndGroupItIsGiven) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  // The process's own group: a group a non-root user may give a file to.
  std::string own_group = std::to_string(::getgid());
  if (auto* entry = ::getgrgid(::getgid())) own_group = entry->gr_name;
  auto bound = bind_unix_listener(path, UnixSocketOptions{.mode = 0600, .group = own_group});
  ASSERT_TRUE(bound.ok()) << bound.error();
  auto status = status_of(path);
  EXPECT_EQ(status.st_mode & 07777, 0600u);
  EXPECT_EQ(status.st_gid, ::getgid());
}

TEST(UnixListener, AnUnknownGroupIsAnErrorAndLeavesNoFile) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  auto bound = bind_unix_listener(path, UnixSocketOptions{.group = "no-such-group-ancm-test"});
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.error().find("no group named 'no-such-group-ancm-test'"), std::string::npos)
      << bound.error();
  EXPECT_NE(bound.error().find("unix:" + path.string()), std::string::npos) << bound.error();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(UnixListener, ReplacesAStaleSocketFile) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  leave_stale_socket(path);
  ASSERT_TRUE(std::filesystem::is_socket(path));
  auto bound = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(bound.ok()) << bound.error();
  EXPECT_TRUE(bound.value().replaced_stale_file);
  EXPECT_TRUE(accepts_connections(path));
}

TEST(UnixListener, RefusesAPathALiveServerListensOn) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  auto first = listen_without_lock(path);
  auto second = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find(kCannotBind), std::string::npos) << second.error();
  EXPECT_NE(second.error().find("unix:" + path.string()), std::string::npos) << second.error();
  EXPECT_NE(second.error().find(kAnotherServerListens), std::string::npos) << second.error();
  EXPECT_TRUE(accepts_connections(path));  // the first one is untouched
}

// A second ancm-host on the path is refused by the lock, before it looks at
// the socket file at all; once the first is gone the path is free again.
TEST(UnixListener, TheLockFileKeepsASecondServerOff) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  auto first = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(first.ok()) << first.error();
  auto inode = status_of(path).st_ino;
  auto second = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find(kAnotherServerHoldsTheLock), std::string::npos) << second.error();
  EXPECT_NE(second.error().find(path.string() + std::string(kLockFileSuffix)), std::string::npos)
      << second.error();
  EXPECT_EQ(status_of(path).st_ino, inode);
  EXPECT_TRUE(accepts_connections(path));
  { auto dropped = std::move(first).value(); }
  EXPECT_FALSE(std::filesystem::exists(path));
  auto third = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(third.ok()) << third.error();
  EXPECT_TRUE(accepts_connections(path));
}

// Servers started at the same moment on one path (a stale file there): one
// wins and serves on the file at the path; every other is refused. Without
// the lock, two could both take the file for stale and bind, the first then
// listening on a file the second unlinked.
TEST(UnixListener, ServersStartedAtOnceOnOnePathBindOnce) {
  constexpr int kServers = 8;
  for (int round = 0; round < 20; ++round) {
    TempDir dir("ancm-unix");
    auto path = dir / "app.sock";
    leave_stale_socket(path);
    std::vector<std::optional<common::Result<BoundUnixSocket>>> results(kServers);
    std::atomic<int> ready{0};
    std::vector<std::thread> servers;
    for (int i = 0; i < kServers; ++i) {
      servers.emplace_back([&, i] {
        ready++;
        while (ready.load() < kServers) std::this_thread::yield();
        results[i].emplace(bind_unix_listener(path, UnixSocketOptions{}));
      });
    }
    for (auto& server : servers) server.join();
    int bound = 0;
    for (auto& result : results) {
      if (!result->ok()) continue;
      ++bound;
      // The winner's socket is the one at the path.
      EXPECT_EQ(local_address(result->value().fd.get()).unix_path, path.string());
    }
    ASSERT_EQ(bound, 1) << "round " << round;
    EXPECT_TRUE(accepts_connections(path));
  }
}

TEST(UnixListener, NeverRemovesWhatIsNotASocket) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  test::write_file(path, "precious");
  auto bound = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.error().find(kNotASocket), std::string::npos) << bound.error();
  EXPECT_EQ(test::read_file(path), "precious");
}

TEST(UnixListener, TheFileGoesWithItsOwnerButNotAnotherServersFile) {
  TempDir dir("ancm-unix");
  auto path = dir / "app.sock";
  {
    auto bound = bind_unix_listener(path, UnixSocketOptions{});
    ASSERT_TRUE(bound.ok()) << bound.error();
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));

  // Another program removed our file and bound its own: that one stays.
  auto ours = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(ours.ok()) << ours.error();
  std::filesystem::remove(path);
  auto theirs = listen_without_lock(path);
  { auto dropped = std::move(ours.value().file); }
  EXPECT_TRUE(accepts_connections(path));
}

}  // namespace
}  // namespace ancm::server
