#include "h2_upstreams.h"

namespace ancm::outofproc {

std::shared_ptr<UpstreamH2Session> H2Upstreams::session_for(
    const ChildProcess& child, const UpstreamH2Session::Executor& executor) {
  std::lock_guard lock(mutex_);
  auto& session = sessions_[child.port()];
  // A session of an earlier child on the same port is not accepting: its
  // connection failed when that child died.
  if (!session || !session->accepting() || session->target().pid != child.pid()) {
    if (session) session->close();
    session = UpstreamH2Session::start(executor, {child.port(), child.pid()}, log_);
  }
  return session;
}

void H2Upstreams::close_all() {
  std::lock_guard lock(mutex_);
  for (auto& [port, session] : sessions_) session->close();
  sessions_.clear();
}

}  // namespace ancm::outofproc
