// HTTP/1.1 chunked framing (RFC 9112 §7.1), written the same way by the
// front end (responses) and the out-of-process proxy (request bodies).
#pragma once

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace ancm::common {

// Appends a chunk's header ("<hex>\r\n"); its data and CRLF follow.
inline void append_chunk_header(std::size_t size, std::string& out) {
  char hex[20];
  auto [end, ec] = std::to_chars(hex, hex + sizeof hex, size, 16);
  out.append(hex, end);
  out += "\r\n";
}

// The last chunk with no trailers.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// The last chunk followed by trailer fields, each a (name, value) pair of
// string views, already checked as field syntax by whoever parsed them.
template <class Fields>
void append_last_chunk(const Fields& trailers, std::string& out) {
  out += "0\r\n";
  for (const auto& [name, value] : trailers) {
    out.append(name);
    out += ": ";
    out.append(value);
    out += "\r\n";
  }
  out += "\r\n";
}

}  // namespace ancm::common
