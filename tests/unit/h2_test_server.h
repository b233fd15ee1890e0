// A small HTTP/2 (h2c, prior knowledge) server for the upstream session's
// tests, built on nghttp2's server side: one thread per connection, blocking
// sockets. What it does depends on the :path (h2_test_server.cpp); what it
// saw is recorded for the test to check.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ancm/common/unique_fd.h"

namespace ancm::test {

struct H2SeenRequest {
  std::map<std::string, std::string> headers;  // pseudo-headers included
  std::string body;
  std::map<std::string, std::string> trailers;
};

class H2TestServer {
 public:
  // max_streams: its SETTINGS_MAX_CONCURRENT_STREAMS. open_windows: its
  // windows as large as HTTP/2 allows, so a client's writes are bounded by
  // TCP alone (for a child that stops reading).
  explicit H2TestServer(std::uint32_t max_streams = 100, bool open_windows = false);
  ~H2TestServer();
  H2TestServer(const H2TestServer&) = delete;
  H2TestServer& operator=(const H2TestServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::vector<H2SeenRequest> requests() const;  // the ended ones, in order
  int connections() const { return connections_.load(); }
  int most_open_streams() const { return most_open_streams_.load(); }
  int cancels() const { return cancels_.load(); }  // streams the client reset with CANCEL
  bool window_exhausted() const { return window_exhausted_.load(); }

  // Called by the connection threads (h2_test_server.cpp).
  void record(H2SeenRequest request);
  void note_open_streams(int open);
  void note_cancel() { ++cancels_; }
  void note_window_exhausted() { window_exhausted_ = true; }
  std::uint32_t max_streams() const { return max_streams_; }
  bool open_windows() const { return open_windows_; }
  bool stopping() const { return stopping_.load(); }

 private:
  void accept_loop();

  std::uint32_t max_streams_;
  bool open_windows_;
  common::UniqueFd listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> most_open_streams_{0};
  std::atomic<int> cancels_{0};
  std::atomic<bool> window_exhausted_{false};
  mutable std::mutex mutex_;
  std::vector<H2SeenRequest> requests_;
  // One per connection, added by the acceptor only; the destructor joins
  // the acceptor first, so nothing is added while they are joined. (The
  // acceptor is apart: its own object must not move while another thread
  // joins it, as it did inside this vector when the vector grew.)
  std::vector<std::jthread> connection_threads_;
  std::jthread acceptor_;  // last: started once everything above exists
};

}  // namespace ancm::test
