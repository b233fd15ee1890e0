#include "h2_upstreams.h"

namespace ancm::outofproc {

std::shared_ptr<UpstreamH2Session> H2Upstreams::session_for(
    const ChildProcess& child, const UpstreamH2Session::Executor& executor) {
  std::lock_guard lock(mutex_);
  auto& session = sessions_[child.port()];
  // A new session when there is none, when this one takes no more streams
  // (the child's GOAWAY, a failed connection), or when it was an earlier
  // child's. Only an earlier child's is closed here: a draining one still
  // carries streams and closes itself once they ended.
  bool earlier_child = session && session->target().pid != child.pid();
  if (earlier_child) session->close();
  if (!session || earlier_child || !session->accepting()) {
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
