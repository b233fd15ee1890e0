#include "control_channel.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ancm::server {
namespace {

constexpr std::size_t kLargestMessage = 4096;

ssize_t receive(int fd, char* buffer, int flags) {
  ssize_t got;
  do {
    got = ::recv(fd, buffer, kLargestMessage, flags);
  } while (got < 0 && errno == EINTR);
  return got;
}

}  // namespace

ControlPair make_control_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    throw std::runtime_error(std::string("cannot create the worker control socket: ") +
                             std::strerror(errno));
  }
  ControlPair pair{common::UniqueFd(fds[0]), common::UniqueFd(fds[1])};
  int flags = ::fcntl(pair.master_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(pair.master_end.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot make the worker control socket non-blocking: ") +
                             std::strerror(errno));
  }
  return pair;
}

bool send_message(int fd, std::string_view message) {
  ssize_t sent;
  do {
    sent = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(message.size());
}

namespace {

Received waiting_message(int fd, int flags) {
  char buffer[kLargestMessage];
  ssize_t got = receive(fd, buffer, MSG_DONTWAIT | flags);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    return {Received::Status::nothing_yet, {}};
  }
  if (got <= 0) return {Received::Status::peer_gone, {}};
  return {Received::Status::message, std::string(buffer, static_cast<std::size_t>(got))};
}

}  // namespace

Received receive_waiting_message(int fd) { return waiting_message(fd, 0); }

Received peek_waiting_message(int fd) { return waiting_message(fd, MSG_PEEK); }

}  // namespace ancm::server
