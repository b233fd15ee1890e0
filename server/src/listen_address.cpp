#include "ancm/server/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace ancm::server {

std::string ListenAddress::url() const {
  bool v6 = host.find(':') != std::string::npos;
  return (tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

common::Result<ListenAddress> parse_listen_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return common::fail(
        std::string("invalid --listen URL '") + std::string(url) + "': " + std::string(why) +
        " (expected http://IPv4:port, http://[IPv6]:port or http://localhost:port, or https://)");
  };
  ListenAddress address;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    address.tls = true;
  } else {
    return bad("only http:// and https:// are supported");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string_view port_text;
  if (rest.substr(0, 1) == "[") {
    auto close = rest.find(']');
    if (close == std::string_view::npos || rest.substr(close + 1, 1) != ":") {
      return bad("an IPv6 address needs brackets and a port");
    }
    address.host = std::string(rest.substr(1, close - 1));
    port_text = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("missing port");
    address.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return bad("the port must be a number from 0 to 65535");
  }
  address.port = static_cast<uint16_t>(port);
  if (address.host == "localhost") address.host = "127.0.0.1";
  in6_addr probe6{};
  in_addr probe4{};
  if (::inet_pton(AF_INET, address.host.c_str(), &probe4) != 1 &&
      ::inet_pton(AF_INET6, address.host.c_str(), &probe6) != 1) {
    return bad("the host must be a numeric IP address or localhost");
  }
  return address;
}

common::UniqueFd bind_listener(const ListenAddress& address, int backlog) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (address.host.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(address.port);
    ::inet_pton(AF_INET6, address.host.c_str(), &sa->sin6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(address.port);
    ::inet_pton(AF_INET, address.host.c_str(), &sa->sin_addr);
    length = sizeof(sockaddr_in);
  }
  auto fail = [&](std::string_view what) {
    throw std::runtime_error(std::string(what) + " " + address.url() + ": " + std::strerror(errno));
  };
  common::UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) fail("cannot create a socket for");
  int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (family == AF_INET6) ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) fail(kCannotBind);
  if (::listen(fd.get(), backlog) != 0) fail("cannot listen on");
  return fd;
}

ListenAddress local_address(int fd, bool tls) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ListenAddress address;
  address.tls = tls;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return address;
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof text);
    address.port = ntohs(sa->sin6_port);
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &sa->sin_addr, text, sizeof text);
    address.port = ntohs(sa->sin_port);
  }
  address.host = text;
  return address;
}

}  // namespace ancm::server
