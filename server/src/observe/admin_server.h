// The admin listener (--admin-listen): the master binds it, every worker
// serves it on its own io_context, apart from the app's listeners and their
// connections (no handler, no shim, not counted in the metrics, not in the
// access log, not waited for by a drain). HTTP/1.1 through Beast, keep-alive,
// one request at a time; a connection idle for 30 s, or that does not read its
// answer for 30 s, is closed; at most 64 at once (more are closed at accept).
#pragma once

#include <atomic>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "observe/admin_answer.h"

namespace ancm::server {

class AdminListener : public std::enable_shared_from_this<AdminListener> {
 public:
  // fd: a listening TCP socket, inherited from the master. sources must
  // outlive the io_context's run.
  AdminListener(boost::asio::io_context& io, int fd, const AdminSources& sources);
  void start();
  void stop();  // stops accepting (the worker's drain)

 private:
  void accept();

  boost::asio::io_context& io_;
  boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol> acceptor_;
  boost::asio::steady_timer retry_;  // after a failed accept
  const AdminSources& sources_;
  // Sessions alive (at most kMaxSessions); shared with them, any strand.
  std::shared_ptr<std::atomic<int>> live_ = std::make_shared<std::atomic<int>>(0);
};

}  // namespace ancm::server
