#include "random_token.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <system_error>

#include "ancm/common/base64.h"

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
  return common::base64_encoded(random_bytes("getrandom for Sec-WebSocket-Key"));
}

}  // namespace ancm::outofproc
