#include "loopback_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <thread>

#include "connection_registry.h"
#include "connection_starter.h"  // server/src

namespace ancm::test {
namespace asio = boost::asio;
using asio::ip::tcp;

struct LoopbackServer::Impl {
  Impl(Sink sink, server::HttpLimits limits) {
    context.limits = limits;
    context.sink = std::move(sink);
    context.registry = &registry;
    context.one_loop_thread = true;  // one thread runs io (below)
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // closed: the server is going
      server::start_connection(io, std::move(socket), context);
      {
        std::lock_guard lock(mutex);
        ++accepted;
      }
      accepted_changed.notify_all();
      accept();
    });
  }

  // Connections refer to these two: they outlive the io_context, whose
  // destruction drops the last references to the connections.
  server::ConnectionRegistry registry;
  server::ConnectionContext context;
  asio::io_context io{1};
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;  // OwnThread only; joined in ~LoopbackServer

  std::mutex mutex;
  std::condition_variable accepted_changed;
  std::size_t accepted = 0;
};

LoopbackServer::LoopbackServer(Sink sink, server::HttpLimits limits, Threading threading)
    : impl_(std::make_unique<Impl>(std::move(sink), limits)) {
  // As the worker does: a splice(2) to a client that reset its connection
  // raises SIGPIPE (write_body_from_pipe).
  ::signal(SIGPIPE, SIG_IGN);
  impl_->accept();
  if (threading == Threading::OwnThread) {
    impl_->work.emplace(impl_->io.get_executor());
    impl_->thread = std::thread([this] { impl_->io.run(); });
  }
}

// Connections still open are dropped with the io_context's pending work.
LoopbackServer::~LoopbackServer() {
  impl_->work.reset();
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t LoopbackServer::port() const { return impl_->acceptor.local_endpoint().port(); }

asio::io_context& LoopbackServer::io() { return impl_->io; }

const ancm_request_api& LoopbackServer::api() { return *server::native_request_api(); }

bool LoopbackServer::wait_accepted(std::size_t count) {
  std::unique_lock lock(impl_->mutex);
  return impl_->accepted_changed.wait_for(lock, std::chrono::seconds(10),
                                          [&] { return impl_->accepted >= count; });
}

void LoopbackServer::drain_all() { impl_->registry.drain_all(); }

}  // namespace ancm::test
