// Which port a child listens on.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "ancm/common/result.h"
#include "environment_block.h"

namespace ancm::outofproc {

inline constexpr std::uint16_t kMinUserPort = 1025;
inline constexpr std::uint16_t kMaxPort = 48000;
inline constexpr std::uint16_t kMinRandomPort = 10000;

// The ASPNETCORE_PORT the web.config asks for (the last one written):
// nullopt when absent or empty (a random port then), the port when it is a
// number in 1025-48000, otherwise an error message.
common::Result<std::optional<std::uint16_t>> user_port(const EnvVars& web_config);

// True when 127.0.0.1:port can be bound right now.
bool port_is_free(std::uint16_t port);

// The ports the kernel gives outgoing connections (net.ipv4.ip_local_port_range;
// 32768-60999 when it cannot be read).
struct PortRange {
  std::uint16_t low = 0, high = 0;
};
PortRange ephemeral_ports();

// A random port in 10000-48000, outside `ephemeral` (Linux's default range
// overlaps ANCM's, and an outgoing connection could take the port between
// this check and the child's bind), that is free and not in `taken`; a few
// tries, then nullopt.
std::optional<std::uint16_t> pick_random_port(const std::set<std::uint16_t>& taken,
                                              PortRange ephemeral = ephemeral_ports());

}  // namespace ancm::outofproc
