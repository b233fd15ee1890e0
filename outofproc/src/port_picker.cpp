#include "port_picker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <random>

#include "ancm/common/unique_fd.h"

namespace ancm::outofproc {
namespace {

constexpr int kRandomPortTries = 20;

}  // namespace

std::variant<std::optional<std::uint16_t>, std::string> user_port(const EnvVars& web_config) {
  auto it = std::find_if(web_config.rbegin(), web_config.rend(),
                         [](const auto& entry) { return entry.first == "ASPNETCORE_PORT"; });
  if (it == web_config.rend()) return std::optional<std::uint16_t>{};
  const std::string& text = it->second;
  if (text.empty()) return std::optional<std::uint16_t>{};
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return "ASPNETCORE_PORT '" + text + "' is not a port number; allowed: 1025-48000";
  }
  if (value < kMinUserPort || value > kMaxPort) {
    return "ASPNETCORE_PORT '" + text + "' is outside 1025-48000";
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

std::optional<std::uint16_t> pick_random_port(const std::set<std::uint16_t>& taken) {
  thread_local std::mt19937 engine{std::random_device{}()};
  std::uniform_int_distribution<unsigned> distribution(kMinRandomPort, kMaxPort);
  for (int attempt = 0; attempt < kRandomPortTries; ++attempt) {
    auto port = static_cast<std::uint16_t>(distribution(engine));
    if (taken.count(port) == 0 && port_is_free(port)) return port;
  }
  return std::nullopt;
}

}  // namespace ancm::outofproc
