// The master ↔ worker control socket: one short text message per packet.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ancm/common/unique_fd.h"

namespace ancm::server {

// Messages: "ready" (worker serves), "stop" (master: drain and exit),
// "recycle <reason>" (worker: please replace me).
inline constexpr std::string_view kReady = "ready";
inline constexpr std::string_view kStop = "stop";
inline constexpr std::string_view kRecyclePrefix = "recycle ";

// A SOCK_SEQPACKET pair, both ends close-on-exec.
std::pair<common::UniqueFd, common::UniqueFd> make_control_pair();

bool send_message(int fd, std::string_view message);
// Blocks for one message; nullopt when the peer is gone.
std::optional<std::string> receive_message(int fd);

}  // namespace ancm::server
