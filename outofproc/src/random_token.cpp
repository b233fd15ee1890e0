#include "random_token.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace ancm::outofproc {
namespace {

std::array<std::uint8_t, 16> random_bytes(const char* what) {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), what);
    }
    filled += static_cast<std::size_t>(got);
  }
  return bytes;
}

}  // namespace

std::string new_random_token() {
  auto bytes = random_bytes("getrandom for ASPNETCORE_TOKEN");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(bytes.size() * 2);
  for (std::uint8_t byte : bytes) {
    token.push_back(kHex[byte >> 4]);
    token.push_back(kHex[byte & 0xF]);
  }
  return token;
}

std::string new_websocket_key() {
  auto bytes = random_bytes("getrandom for Sec-WebSocket-Key");
  static constexpr char kBase64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string key;
  // 16 bytes: five groups of three, then one byte and "==".
  for (std::size_t i = 0; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) key.push_back(kBase64[(group >> shift) & 0x3F]);
  }
  key.push_back(kBase64[bytes[15] >> 2]);
  key.push_back(kBase64[(bytes[15] & 0x3) << 4]);
  key += "==";
  return key;
}

}  // namespace ancm::outofproc
