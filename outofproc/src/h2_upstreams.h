// The HTTP/2 sessions of one application, one per child that speaks h2c,
// made on first use and replaced once the child said GOAWAY or the
// connection is gone (a restarted child, on its new port, gets its own).
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "upstream_h2_session.h"

namespace ancm::outofproc {

class H2Upstreams {
 public:
  explicit H2Upstreams(Logger log) : log_(std::move(log)) {}
  ~H2Upstreams() { close_all(); }
  H2Upstreams(const H2Upstreams&) = delete;
  H2Upstreams& operator=(const H2Upstreams&) = delete;

  // The session to `child` that takes new streams, started on `executor`
  // when there is none. Any thread.
  std::shared_ptr<UpstreamH2Session> session_for(const ChildProcess& child,
                                                 const UpstreamH2Session::Executor& executor);
  // Closes every session (the application stops); later calls start new ones.
  void close_all();

 private:
  Logger log_;
  std::mutex mutex_;
  std::unordered_map<std::uint16_t, std::shared_ptr<UpstreamH2Session>> sessions_;  // by port
};

}  // namespace ancm::outofproc
