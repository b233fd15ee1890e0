// Which fields a response may carry as trailers (add_trailer), for every
// protocol the front end speaks (HTTP/1.1's last chunk, HTTP/2's trailing
// HEADERS). RFC 9110 section 6.5.1 forbids in trailers what a recipient needs
// before the content: message framing, routing, request modifiers,
// authentication, response control data and what processes the content; the
// list below names the fields of those kinds RFC 9110, 9111 and 6265 define,
// plus the connection-specific fields RFC 9113 section 8.2.2 bans from HTTP/2.
#pragma once

#include <string_view>

#include "ancm/common/ascii.h"
#include "ancm/common/http_syntax.h"

namespace ancm::common {

inline constexpr std::string_view kForbiddenTrailers[] = {
    // framing (RFC 9112 section 6)
    "Content-Length", "Transfer-Encoding", "Trailer",
    // connection-specific (RFC 9110 section 7.6.1, RFC 9113 section 8.2.2)
    "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade",
    // routing (RFC 9110 section 7.2)
    "Host",
    // request modifiers: controls and conditionals (RFC 9110 sections 10.1 and 13.1)
    "Expect", "Max-Forwards", "Range", "If-Match", "If-None-Match", "If-Modified-Since",
    "If-Unmodified-Since", "If-Range",
    // authentication (RFC 9110 section 11, RFC 6265)
    "Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
    "Authentication-Info", "Proxy-Authentication-Info", "Cookie", "Set-Cookie",
    // response control data (RFC 9110 section 10.2, RFC 9111 section 5)
    "Age", "Cache-Control", "Expires", "Pragma", "Date", "Location", "Retry-After", "Vary",
    "Warning",
    // how to process the content (RFC 9110 sections 8.3 to 8.5, 14.4)
    "Content-Encoding", "Content-Type", "Content-Range", "Content-Location"};

// A field a response may send as a trailer: a token name, a value of field
// characters only (no CR, LF or NUL), and not of a kind RFC 9110 forbids.
constexpr bool is_allowed_trailer(std::string_view name, std::string_view value) {
  if (!is_token(name)) return false;
  for (char c : value) {
    if (!is_field_value_char(static_cast<unsigned char>(c))) return false;
  }
  for (auto forbidden : kForbiddenTrailers) {
    if (iequals(name, forbidden)) return false;
  }
  return true;
}

}  // namespace ancm::common
