// What a socket address holds, as text: the one reader of IPv4, IPv6 and Unix
// domain addresses, for the listeners (getsockname) and a connection's ends.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace ancm::server {

struct SocketAddress {
  int family = AF_UNSPEC;
  std::string ip;  // numeric IPv4 or IPv6, without brackets; empty for AF_UNIX
  uint16_t port = 0;
  // AF_UNIX: the socket file's path, "@name" for an abstract name, empty for
  // an unnamed socket (a client that did not bind, as most do).
  std::string unix_path;

  bool is_unix() const { return family == AF_UNIX; }
  // How log lines name this end: "127.0.0.1:5000", "[::1]:5000",
  // "unix:/run/app.sock", or "unknown" when it could not be read.
  std::string display() const;
};

// length is what getsockname/getpeername (or an Asio endpoint's size()) said.
SocketAddress read_socket_address(const sockaddr* address, socklen_t length);
// The address a socket is bound to (getsockname); family AF_UNSPEC on failure.
SocketAddress local_socket_address(int fd);

}  // namespace ancm::server
