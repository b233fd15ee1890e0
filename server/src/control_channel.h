// The master ↔ worker control socket: one short text message per packet.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ancm/common/unique_fd.h"

namespace ancm::server {

// Messages: "ready" (worker serves), "stop" (master: drain and exit),
// "recycle <reason>" (worker: please replace me), "reopen-logs" (master, on
// SIGUSR1: reopen the access log, after logrotate moved it). A worker whose app
// does not run says what its requests get instead: "ready failed" (the app's
// start-up error page), "ready offline" (app_offline.htm), "ready bad-config"
// (500.19), "ready starting" (startupTimeLimit passed, still starting).
inline constexpr std::string_view kReady = "ready";
inline constexpr std::string_view kReadyFailed = "ready failed";
inline constexpr std::string_view kReadyOffline = "ready offline";
inline constexpr std::string_view kReadyBadConfig = "ready bad-config";
inline constexpr std::string_view kReadyStarting = "ready starting";
inline constexpr std::string_view kStop = "stop";
inline constexpr std::string_view kRecyclePrefix = "recycle ";
inline constexpr std::string_view kReopenLogs = "reopen-logs";

// A SOCK_SEQPACKET pair, both ends close-on-exec. The master's end is
// non-blocking: the master waits only in its event loop, never on a worker.
struct ControlPair {
  common::UniqueFd master_end;
  common::UniqueFd worker_end;
};
ControlPair make_control_pair();

bool send_message(int fd, std::string_view message);

// What one read that never blocks found.
struct Received {
  enum class Status { message, nothing_yet, peer_gone };
  Status status;
  std::string message;  // with Status::message
};
// Takes one waiting message, if any (MSG_DONTWAIT): nothing waiting
// (EAGAIN) is nothing_yet, not the peer gone.
Received receive_waiting_message(int fd);
// The same, leaving the message queued for the next read (MSG_PEEK).
Received peek_waiting_message(int fd);

}  // namespace ancm::server
