// --listen URLs: parsing and binding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ancm/common/result.h"
#include "ancm/common/unique_fd.h"

namespace ancm::server {

struct ListenAddress {
  std::string host;  // numeric IPv4 or IPv6 (without brackets), or "localhost"
  uint16_t port = 0;
  bool tls = false;  // https://
  std::string url() const;
};

// "http://127.0.0.1:8080", "http://[::1]:8080", "http://localhost:0", and
// the same with https://.
// Returns an error message when the URL is not one of those forms.
common::Result<ListenAddress> parse_listen_url(std::string_view url);

// The start of the error for an address in use or not ours:
// "cannot bind http://127.0.0.1:8080: Address already in use".
inline constexpr std::string_view kCannotBind = "cannot bind";

// A bound, listening, close-on-exec TCP socket; throws std::runtime_error
// naming the address on failure.
common::UniqueFd bind_listener(const ListenAddress& address, int backlog = 1024);

// The address a listening socket is bound to (its real port with port 0);
// tls is the caller's to say.
ListenAddress local_address(int fd, bool tls = false);

}  // namespace ancm::server
