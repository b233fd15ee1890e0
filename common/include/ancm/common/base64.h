// Base64 (RFC 4648 section 4: the standard alphabet, '=' padding, one line):
// how ANCM hands the client's certificate to the app (MS-ASPNETCORE-CLIENTCERT,
// read back with .NET's Convert.FromBase64String).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace ancm::common {

inline std::string base64_encoded(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto byte_at = [&](std::size_t at) { return static_cast<std::uint32_t>(bytes[at]); };
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = byte_at(i) << 16 | byte_at(i + 1) << 8 | byte_at(i + 2);
    text += kAlphabet[(group >> 18) & 63];
    text += kAlphabet[(group >> 12) & 63];
    text += kAlphabet[(group >> 6) & 63];
    text += kAlphabet[group & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 0) return text;
  std::uint32_t group = byte_at(i) << 16;
  if (rest == 2) group |= byte_at(i + 1) << 8;
  text += kAlphabet[(group >> 18) & 63];
  text += kAlphabet[(group >> 12) & 63];
  text += rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
  text += '=';
  return text;
}

}  // namespace ancm::common
