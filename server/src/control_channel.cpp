#include "control_channel.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ancm::server {

std::pair<common::UniqueFd, common::UniqueFd> make_control_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error(std::string("cannot create the worker control socket: ") +
                             std::strerror(errno));
  }
  return {common::UniqueFd(fds[0]), common::UniqueFd(fds[1])};
}

bool send_message(int fd, std::string_view message) {
  ssize_t sent;
  do {
    sent = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(message.size());
}

std::optional<std::string> receive_message(int fd) {
  char buffer[4096];
  ssize_t got;
  do {
    got = ::recv(fd, buffer, sizeof buffer, 0);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return std::nullopt;
  return std::string(buffer, static_cast<std::size_t>(got));
}

}  // namespace ancm::server
