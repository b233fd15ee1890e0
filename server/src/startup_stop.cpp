#include "startup_stop.h"

#include <poll.h>

#include <chrono>

#include "control_channel.h"

namespace ancm::server {
namespace {

constexpr int kPollMilliseconds = 100;

}  // namespace

StartupStopWatch::StartupStopWatch(int control_fd, shim::Shim& shim)
    : control_fd_(control_fd), shim_(shim) {
  if (control_fd_ < 0) return;
  thread_ = std::jthread([this](std::stop_token token) { watch(token); });
}

bool StartupStopWatch::finish() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  return stop_requested();
}

void StartupStopWatch::watch(const std::stop_token& token) {
  while (!token.stop_requested()) {
    pollfd ready{control_fd_, POLLIN, 0};
    if (::poll(&ready, 1, kPollMilliseconds) <= 0) continue;
    auto waiting = peek_waiting_message(control_fd_);
    if (waiting.status == Received::Status::peer_gone) return;  // the master is gone
    if (waiting.status == Received::Status::message && waiting.message == kStop) {
      stop_requested_ = true;
      if (!shim_.in_process()) shim_.stop();
      return;
    }
    // Another message (reopen-logs) waits for the loop's reader: look again later.
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMilliseconds));
  }
}

}  // namespace ancm::server
