#include "socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace ancm::server {
namespace {

// sun_path as the kernel filled it: not NUL-terminated when it is full, and
// starting with a NUL for an abstract name (shown as '@', as ss(8) does).
std::string unix_path_of(const sockaddr_un& address, socklen_t length) {
  constexpr auto kPathOffset = offsetof(sockaddr_un, sun_path);
  if (length <= kPathOffset) return {};
  std::size_t size = std::min<std::size_t>(length - kPathOffset, sizeof address.sun_path);
  if (address.sun_path[0] == '\0') {
    return size > 1 ? "@" + std::string(address.sun_path + 1, size - 1) : std::string();
  }
  return std::string(address.sun_path, ::strnlen(address.sun_path, size));
}

}  // namespace

std::string SocketAddress::display() const {
  switch (family) {
    case AF_INET:
      return ip + ":" + std::to_string(port);
    case AF_INET6:
      return "[" + ip + "]:" + std::to_string(port);
    case AF_UNIX:
      return "unix:" + unix_path;
    default:
      return "unknown";
  }
}

SocketAddress read_socket_address(const sockaddr* address, socklen_t length) {
  SocketAddress result;
  if (length < static_cast<socklen_t>(sizeof(sa_family_t))) return result;
  // IPv4 and IPv6 differ only in their struct: its size, address and port.
  auto read_ip = [&](const auto& in, const void* ip, uint16_t port_network_order) {
    if (length < static_cast<socklen_t>(sizeof in)) return false;
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(address->sa_family, ip, text, sizeof text);
    result.ip = text;
    result.port = ntohs(port_network_order);
    return true;
  };
  bool read = false;
  switch (address->sa_family) {
    case AF_INET: {
      const auto& in = *reinterpret_cast<const sockaddr_in*>(address);
      read = read_ip(in, &in.sin_addr, in.sin_port);
      break;
    }
    case AF_INET6: {
      const auto& in6 = *reinterpret_cast<const sockaddr_in6*>(address);
      read = read_ip(in6, &in6.sin6_addr, in6.sin6_port);
      break;
    }
    case AF_UNIX:
      result.unix_path = unix_path_of(*reinterpret_cast<const sockaddr_un*>(address), length);
      read = true;
      break;
  }
  if (read) result.family = address->sa_family;
  return result;
}

SocketAddress local_socket_address(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};
  return read_socket_address(reinterpret_cast<const sockaddr*>(&storage), length);
}

}  // namespace ancm::server
