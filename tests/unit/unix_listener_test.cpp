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

#include <cstring>
#include <filesystem>

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
  auto first = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(first.ok()) << first.error();
  auto second = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find(kCannotBind), std::string::npos) << second.error();
  EXPECT_NE(second.error().find("unix:" + path.string()), std::string::npos) << second.error();
  EXPECT_NE(second.error().find(kAnotherServerListens), std::string::npos) << second.error();
  EXPECT_TRUE(accepts_connections(path));  // the first one is untouched
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

  // Another server removed our file and bound its own: that one stays.
  auto ours = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(ours.ok()) << ours.error();
  std::filesystem::remove(path);
  auto theirs = bind_unix_listener(path, UnixSocketOptions{});
  ASSERT_TRUE(theirs.ok()) << theirs.error();
  { auto dropped = std::move(ours.value().file); }
  EXPECT_TRUE(accepts_connections(path));
}

}  // namespace
}  // namespace ancm::server
