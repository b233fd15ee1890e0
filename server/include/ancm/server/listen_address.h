// --listen URLs: parsing and binding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/common/unique_fd.h"

namespace ancm::server {

// Whether connections may speak HTTP/2: TLS's ALPN offers "h2" only then,
// and a cleartext connection that starts with the HTTP/2 preface (h2c, prior
// knowledge) is served as one. The worker serves by it; `ancm-host check`
// reports it for each listener.
inline constexpr bool kServesHttp2 = true;

// Where `ancm-host run` listens when told nowhere and systemd passed nothing.
inline constexpr std::string_view kDefaultListenUrl = "http://127.0.0.1:8080";

// How `ancm-host check` describes each listener: a line naming its URL, then
// a line per fact, the label then the value.
inline constexpr std::string_view kCheckListenerLabel = "listener ";
inline constexpr std::string_view kCheckTlsLabel = "tls: ";
inline constexpr std::string_view kCheckHttp2Label = "http2: ";
inline constexpr std::string_view kCheckSocketFileLabel = "socket file: ";

// "::" as a host: every address, IPv6 and IPv4 (one dual-stack socket).
inline constexpr std::string_view kAnyAddress = "::";
// "localhost" as a host: 127.0.0.1 and ::1, two sockets on one port.
inline constexpr std::string_view kLocalhost = "localhost";

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 (without brackets), or kLocalhost
  uint16_t port = 0;
  bool tls = false;  // https://
  // A Unix domain socket's path (absolute) instead of host and port; "@name"
  // for an abstract one (only ever passed by systemd), empty when unnamed.
  std::string unix_path;
  bool is_unix = false;
  // "http://127.0.0.1:8080", "https://[::1]:443", or Kestrel's
  // "http://unix:/run/app.sock" (what Kestrel lists in IServerAddressesFeature).
  std::string url() const;
};

// "http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:0", and
// the same with https://. Kestrel's wildcards too: "http://*:80", "http://+:80"
// and any other host name mean every address (kAnyAddress), as does [::].
// A Unix domain socket as Kestrel writes it, "http://unix:/run/app.sock" (or
// https://), or as nginx does, "unix:/run/app.sock" (http): the path must be
// absolute and fit in sockaddr_un. Returns an error message when the URL is
// not one of those forms.
common::Result<ListenAddress> parse_listen_url(std::string_view url);

// The start of the error for an address in use or not ours:
// "cannot bind http://127.0.0.1:8080: Address already in use".
inline constexpr std::string_view kCannotBind = "cannot bind";

// ASPNETCORE_URLS's form (--urls): "http://a:1;https://b:2" → its URLs.
std::vector<std::string> split_urls(std::string_view list);

// A bound, listening, close-on-exec TCP socket for a numeric host; throws
// std::runtime_error naming the address on failure.
common::UniqueFd bind_listener(const ListenAddress& address, int backlog = 1024);
// Every socket an address stands for: localhost is two (127.0.0.1, and ::1
// on the same port when the machine has IPv6); kAnyAddress is one dual-stack
// socket, or 0.0.0.0 without IPv6. Throws as bind_listener.
std::vector<common::UniqueFd> bind_listeners(const ListenAddress& address, int backlog = 1024);
bool ipv6_available();

// The address a listening socket is bound to (its real port with port 0, or
// its path for a Unix domain socket); tls is the caller's to say.
ListenAddress local_address(int fd, bool tls = false);

}  // namespace ancm::server
