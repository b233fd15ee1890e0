#include "systemd.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ancm::server {
namespace {

constexpr int kFirstListenFd = 3;  // SD_LISTEN_FDS_START

int socket_option(int fd, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, name, &value, &length) != 0) return -1;
  return value;
}

// Why a worker could not serve on fd, or empty when it can.
std::string unservable(int fd) {
  int domain = socket_option(fd, SO_DOMAIN);
  if (domain < 0) return "is not a socket";
  if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNIX) {
    return "is a socket of address family " + std::to_string(domain) +
           " (served: IPv4, IPv6, Unix domain)";
  }
  if (socket_option(fd, SO_TYPE) != SOCK_STREAM) {
    return "is not a stream socket (ListenStream=, not ListenDatagram= or ListenSequentialPacket=)";
  }
  if (socket_option(fd, SO_ACCEPTCONN) != 1) return "is not listening";
  return {};
}

}  // namespace

void notify_systemd(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::size_t length = std::strlen(path);
  if (length >= sizeof address.sun_path) return;
  std::memcpy(address.sun_path, path, length);
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  common::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return;
  ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
           reinterpret_cast<sockaddr*>(&address),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length));
}

common::Result<std::vector<common::UniqueFd>> inherited_listeners() {
  std::vector<common::UniqueFd> fds;
  const char* pid = std::getenv("LISTEN_PID");
  const char* count = std::getenv("LISTEN_FDS");
  if (!pid || !count || std::atoi(pid) != ::getpid()) return fds;
  int n = std::atoi(count);
  for (int fd = kFirstListenFd; fd < kFirstListenFd + n; ++fd) {
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    fds.emplace_back(fd);
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  for (const auto& fd : fds) {
    if (auto why = unservable(fd.get()); !why.empty()) {
      return common::fail("the socket systemd passed as fd " + std::to_string(fd.get()) + " " +
                          why);
    }
  }
  return fds;
}

}  // namespace ancm::server
