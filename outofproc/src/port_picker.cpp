#include "port_picker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <random>

#include "ancm/common/unique_fd.h"

namespace ancm::outofproc {
namespace {

constexpr int kRandomPortTries = 20;

}  // namespace

common::Result<std::optional<std::uint16_t>> user_port(const EnvVars& web_config) {
  auto it = std::find_if(web_config.rbegin(), web_config.rend(),
                         [](const auto& entry) { return entry.first == "ASPNETCORE_PORT"; });
  if (it == web_config.rend()) return std::optional<std::uint16_t>{};
  const std::string& text = it->second;
  if (text.empty()) return std::optional<std::uint16_t>{};
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return common::fail("ASPNETCORE_PORT '" + text + "' is not a port number; allowed: 1025-48000");
  }
  if (value < kMinUserPort || value > kMaxPort) {
    return common::fail("ASPNETCORE_PORT '" + text + "' is outside 1025-48000");
  }
  return std::optional<std::uint16_t>(static_cast<std::uint16_t>(value));
}

bool port_is_free(std::uint16_t port) {
  common::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // No SO_REUSEADDR: a port in TIME_WAIT is not free for Kestrel either.
  return ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

PortRange ephemeral_ports() {
  std::ifstream file("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned low = 0, high = 0;
  if (file >> low >> high && low <= high && high <= 65535) {
    return {static_cast<std::uint16_t>(low), static_cast<std::uint16_t>(high)};
  }
  return {32768, 60999};
}

std::optional<std::uint16_t> pick_random_port(const std::set<std::uint16_t>& taken,
                                              PortRange ephemeral) {
  // The candidates: 10000-48000 without the overlap with `ephemeral`, counted
  // so that one draw maps to one of them. All of it if nothing would be left.
  unsigned low = std::max<unsigned>(ephemeral.low, kMinRandomPort);
  unsigned high = std::min<unsigned>(ephemeral.high, kMaxPort);
  unsigned excluded = low <= high ? high - low + 1 : 0;
  unsigned total = kMaxPort - kMinRandomPort + 1;
  if (excluded == total) excluded = 0;
  thread_local std::mt19937 engine{std::random_device{}()};
  std::uniform_int_distribution<unsigned> distribution(0, total - excluded - 1);
  for (int attempt = 0; attempt < kRandomPortTries; ++attempt) {
    unsigned port = kMinRandomPort + distribution(engine);
    if (excluded > 0 && port >= low) port += excluded;
    if (taken.count(static_cast<std::uint16_t>(port)) == 0 &&
        port_is_free(static_cast<std::uint16_t>(port))) {
      return static_cast<std::uint16_t>(port);
    }
  }
  return std::nullopt;
}

}  // namespace ancm::outofproc
