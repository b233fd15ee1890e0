#include "shutdown_event.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "ancm/common/unique_fd.h"

namespace ancm::outofproc {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd entry{fd, events, 0};
    int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0 && (entry.revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

// "HTTP/1.1 202 Accepted" -> 202
int status_of(std::string_view response) {
  if (!response.starts_with("HTTP/")) return 0;
  std::size_t space = response.find(' ');
  if (space == std::string_view::npos || response.size() < space + 4) return 0;
  return std::atoi(std::string(response.substr(space + 1, 3)).c_str());
}

}  // namespace

int send_shutdown_event(std::uint16_t port, const std::string& token,
                        std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  common::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS || !wait_for(fd.get(), POLLOUT, deadline)) return 0;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) return 0;
  }
  std::string request =
      "POST /iisintegration HTTP/1.1\r\n"
      "Host: 127.0.0.1:" +
      std::to_string(port) +
      "\r\n"
      "MS-ASPNETCORE-EVENT: shutdown\r\n"
      "MS-ASPNETCORE-TOKEN: " +
      token +
      "\r\n"
      "Content-Length: 0\r\n"
      "Connection: close\r\n\r\n";
  std::string_view pending = request;
  while (!pending.empty()) {
    ssize_t sent = ::send(fd.get(), pending.data(), pending.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      pending.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) return 0;
    } else {
      return 0;
    }
  }
  std::string response;
  char buffer[512];
  while (response.find("\r\n") == std::string::npos && response.size() < 4096) {
    if (!wait_for(fd.get(), POLLIN, deadline)) return 0;
    ssize_t got = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) break;
    response.append(buffer, static_cast<std::size_t>(got));
  }
  return status_of(response);
}

}  // namespace ancm::outofproc
