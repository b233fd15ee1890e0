#include "utf8_text.h"

#include <cstddef>
#include <cstdint>

namespace ancm::config::detail {
namespace {

struct Encoding {
  std::size_t unit = 1;  // bytes per code unit: 1 (as is), 2 or 4
  bool big_endian = false;
  std::size_t skip = 0;  // byte order mark
};

bool starts_with_bytes(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Encoding detect(std::string_view bytes) {
  using namespace std::string_view_literals;
  // UTF-32 LE's mark begins like UTF-16 LE's: test the longer one first.
  if (starts_with_bytes(bytes, "\xFF\xFE\0\0"sv)) return {4, false, 4};
  if (starts_with_bytes(bytes, "\0\0\xFE\xFF"sv)) return {4, true, 4};
  if (starts_with_bytes(bytes, "\xFF\xFE"sv)) return {2, false, 2};
  if (starts_with_bytes(bytes, "\xFE\xFF"sv)) return {2, true, 2};
  if (starts_with_bytes(bytes, "<\0\0\0"sv)) return {4, false, 0};
  if (starts_with_bytes(bytes, "\0\0\0<"sv)) return {4, true, 0};
  if (starts_with_bytes(bytes, "<\0"sv)) return {2, false, 0};
  if (starts_with_bytes(bytes, "\0<"sv)) return {2, true, 0};
  return {};
}

std::uint32_t unit_at(std::string_view bytes, std::size_t at, const Encoding& encoding) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < encoding.unit; ++i) {
    std::size_t index = encoding.big_endian ? at + i : at + encoding.unit - 1 - i;
    value = (value << 8) | static_cast<unsigned char>(bytes[index]);
  }
  return value;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) code = 0xFFFD;
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

}  // namespace

std::string utf8_text(std::string_view bytes) {
  Encoding encoding = detect(bytes);
  if (encoding.unit == 1) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() / encoding.unit);
  std::size_t at = encoding.skip;
  auto more = [&] { return at + encoding.unit <= bytes.size(); };
  while (more()) {
    std::uint32_t code = unit_at(bytes, at, encoding);
    at += encoding.unit;
    if (encoding.unit == 2 && code >= 0xD800 && code <= 0xDBFF && more()) {
      std::uint32_t low = unit_at(bytes, at, encoding);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        at += encoding.unit;
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
      }
    }
    append_utf8(out, code);  // a lone surrogate becomes U+FFFD
  }
  if (at < bytes.size()) append_utf8(out, 0xFFFD);  // a truncated last unit
  return out;
}

}  // namespace ancm::config::detail
