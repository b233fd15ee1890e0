#include "ancm/server/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "ancm/common/ascii.h"
#include "ancm/common/http_syntax.h"
#include "socket_address.h"

namespace ancm::server {
namespace {

// Letters, digits, '-' and '.', or Kestrel's "*" and "+".
bool is_host_name(std::string_view host) {
  if (host == "*" || host == "+") return true;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return common::is_digit(c) ||
           (common::ascii_lower(c) >= 'a' && common::ascii_lower(c) <= 'z') || c == '-' || c == '.';
  });
}

constexpr std::string_view kUnixPrefix = "unix:";

// Kestrel reads "unix:" followed by a port as a host named "unix"; anything
// else after "unix:" is a socket path.
bool names_unix_socket(std::string_view rest) {
  if (!rest.starts_with(kUnixPrefix)) return false;
  auto after = rest.substr(kUnixPrefix.size());
  return after.empty() || !std::all_of(after.begin(), after.end(), common::is_digit);
}

// Why a socket path cannot be bound, or empty when it can.
std::string unix_path_problem(std::string_view path) {
  constexpr std::size_t kMaxPath = sizeof(sockaddr_un{}.sun_path) - 1;  // and its NUL
  if (path.empty()) return "missing the socket path after unix:";
  if (path.front() != '/') return "the socket path must be absolute (start with /)";
  if (path.size() > kMaxPath) {
    return "the socket path is " + std::to_string(path.size()) +
           " bytes long; a Unix domain socket path holds at most " + std::to_string(kMaxPath);
  }
  if (path.back() == '/') return "the socket path names a folder, not a file";
  // Kestrel reads what follows a ':' as a path base; ';' separates URLs.
  if (path.find_first_of(":;") != std::string_view::npos) {
    return "the socket path must not hold ':' (Kestrel reads a path base after it) or ';'";
  }
  if (path.find('\0') != std::string_view::npos) return "the socket path holds a NUL byte";
  return {};
}

}  // namespace

std::string ListenAddress::url() const {
  std::string scheme = tls ? "https://" : "http://";
  if (is_unix) return scheme + std::string(kUnixPrefix) + unix_path;
  bool v6 = host.find(':') != std::string::npos;
  return scheme + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

common::Result<ListenAddress> parse_listen_url(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return common::fail(
        std::string("invalid --listen URL '") + std::string(url) + "': " + std::string(why) +
        " (expected http://IPv4:port, http://[IPv6]:port, http://localhost:port, http://*:port, "
        "http://+:port or http://unix:/absolute/path, or the same with https://; or "
        "unix:/absolute/path)");
  };
  ListenAddress address;
  std::string_view rest;
  if (url.starts_with(kUnixPrefix)) {  // nginx's form: always plain HTTP
    rest = url;
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    address.tls = true;
  } else {
    return bad("only http:// and https:// are supported");
  }
  if (names_unix_socket(rest)) {
    auto path = rest.substr(kUnixPrefix.size());
    if (auto problem = unix_path_problem(path); !problem.empty()) return bad(problem);
    address.is_unix = true;
    address.unix_path = std::string(path);
    return address;
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
  // As Kestrel: *, + and a host name that is not localhost mean every
  // address, IPv6 and IPv4 alike.
  in6_addr probe6{};
  in_addr probe4{};
  bool numeric = ::inet_pton(AF_INET, address.host.c_str(), &probe4) == 1 ||
                 ::inet_pton(AF_INET6, address.host.c_str(), &probe6) == 1;
  if (address.host.empty()) return bad("missing host");
  if (numeric) return address;
  if (!is_host_name(address.host)) return bad("the host is not a host name or IP address");
  address.host = common::iequals(address.host, kLocalhost) ? kLocalhost : kAnyAddress;
  return address;
}

std::vector<std::string> split_urls(std::string_view list) {
  std::vector<std::string> urls;
  while (!list.empty()) {
    auto end = list.find(';');
    auto url = list.substr(0, end);
    while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
    while (!url.empty() && url.back() == ' ') url.remove_suffix(1);
    if (!url.empty()) urls.emplace_back(url);
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return urls;
}

std::vector<common::UniqueFd> bind_listeners(const ListenAddress& address, int backlog) {
  std::vector<common::UniqueFd> bound;
  if (address.host == kLocalhost) {
    ListenAddress v4 = address, v6 = address;
    v4.host = "127.0.0.1";
    bound.push_back(bind_listener(v4, backlog));
    v6.host = "::1";
    v6.port = local_address(bound.front().get()).port;  // port 0: the same port for both
    try {
      bound.push_back(bind_listener(v6, backlog));
    } catch (const std::exception&) {
      if (ipv6_available()) throw;  // else localhost is 127.0.0.1 alone
    }
    return bound;
  }
  if (address.host == kAnyAddress && !ipv6_available()) {
    ListenAddress v4 = address;
    v4.host = "0.0.0.0";
    bound.push_back(bind_listener(v4, backlog));
    return bound;
  }
  bound.push_back(bind_listener(address, backlog));
  return bound;
}

bool ipv6_available() {
  common::UniqueFd probe(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return static_cast<bool>(probe);
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
  // [::] takes IPv4 too (dual stack, as Kestrel binds it); other IPv6
  // addresses only IPv6.
  int v6_only = address.host == kAnyAddress ? 0 : 1;
  if (family == AF_INET6) {
    ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only);
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) fail(kCannotBind);
  if (::listen(fd.get(), backlog) != 0) fail("cannot listen on");
  return fd;
}

ListenAddress local_address(int fd, bool tls) {
  auto bound = local_socket_address(fd);
  ListenAddress address;
  address.tls = tls;
  address.host = bound.ip;
  address.port = bound.port;
  address.is_unix = bound.is_unix();
  address.unix_path = bound.unix_path;
  return address;
}

}  // namespace ancm::server
