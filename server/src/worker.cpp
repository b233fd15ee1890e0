#include "ancm/server/worker.h"

#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "ancm/server/listen_address.h"
#include "ancm/shim/shim.h"
#include "connection_registry.h"
#include "connection_starter.h"
#include "control_channel.h"
#include "log_setup.h"
#include "runtime_preparation.h"
#include "tls_context.h"

namespace ancm::server {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Whether connections may speak HTTP/2: TLS's ALPN offers "h2" only then, and
// start_connection hands an "h2" stream to the HTTP/2 server.
constexpr bool kServesHttp2 = true;

// The CPUs this process may run on (taskset, cgroup cpusets), not all the
// machine has: more I/O threads than that only contend.
int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

asio::ip::tcp protocol_of(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  return storage.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
}

// --max-body-bytes when given, else web.config's requestLimits
// maxAllowedContentLength. Read when the worker starts, as every other
// setting: an edit while the app runs starts a new worker, which reads it again.
// --max-body-bytes, else web.config's maxAllowedContentLength as the shim
// read it when this worker started.
HttpLimits effective_limits(const WorkerOptions& options, const shim::Shim& shim) {
  HttpLimits limits = options.limits;
  bool overridden = limits.max_body_bytes_override.has_value();
  limits.max_body_bytes =
      overridden ? *limits.max_body_bytes_override : shim.max_request_body_bytes();
  spdlog::info("{} {} bytes ({})", kRequestBodiesUpTo, limits.max_body_bytes,
               overridden ? "--max-body-bytes" : "web.config maxAllowedContentLength");
  return limits;
}

// Accepts connections on one inherited listening socket.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, int fd, const ConnectionContext& context)
      : io_(io), acceptor_(io, protocol_of(fd), fd), retry_(io), context_(context) {}

  void start() { accept(); }
  void stop() {
    error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }

 private:
  void accept() {
    acceptor_.async_accept([self = shared_from_this()](error_code ec, asio::ip::tcp::socket s) {
      if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
      if (ec) {
        // Out of descriptors or memory: back off instead of spinning.
        spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
        self->retry_.expires_after(std::chrono::milliseconds(100));
        self->retry_.async_wait([self](error_code wait_ec) {
          if (!wait_ec) self->accept();
        });
        return;
      }
      start_connection(self->io_, std::move(s), self->context_);
      self->accept();
    });
  }

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  const ConnectionContext& context_;
};

// Stops accepting, lets in-flight requests finish, then stops the loop.
class Drainer {
 public:
  Drainer(asio::io_context& io, std::vector<std::shared_ptr<Listener>>& listeners,
          ConnectionRegistry& registry, std::chrono::seconds timeout,
          std::chrono::milliseconds delay)
      : io_(io),
        listeners_(listeners),
        registry_(registry),
        timeout_(timeout),
        delay_(delay),
        poll_(io) {}

  // shutdownDelay: keep serving (and accepting) a while before draining, so
  // requests already on their way still find a worker.
  void begin(const char* why) {
    if (started_) return;
    started_ = true;
    if (delay_.count() == 0) return drain(why);
    spdlog::info("worker {} stopping ({}) {} ({} ms)", ::getpid(), why, kAfterShutdownDelay,
                 delay_.count());
    poll_.expires_after(delay_);
    poll_.async_wait([this, why](error_code ec) {
      if (!ec) drain(why);
    });
  }

 private:
  void drain(const char* why) {
    spdlog::info("worker {} stopping ({}): draining {} connection(s), at most {} s", ::getpid(),
                 why, registry_.size(), timeout_.count());
    for (auto& listener : listeners_) listener->stop();
    registry_.drain_all();
    deadline_ = std::chrono::steady_clock::now() + timeout_;
    check();
  }

  void check() {
    if (registry_.size() == 0) return io_.stop();
    if (std::chrono::steady_clock::now() >= deadline_) {
      spdlog::warn("worker {}: {} connection(s) still busy after {} s; stopping anyway", ::getpid(),
                   registry_.size(), timeout_.count());
      return io_.stop();
    }
    poll_.expires_after(std::chrono::milliseconds(20));
    poll_.async_wait([this](error_code ec) {
      if (!ec) check();
    });
  }

  asio::io_context& io_;
  std::vector<std::shared_ptr<Listener>>& listeners_;
  ConnectionRegistry& registry_;
  std::chrono::seconds timeout_;
  std::chrono::milliseconds delay_;
  asio::steady_timer poll_;
  bool started_ = false;
  std::chrono::steady_clock::time_point deadline_;
};

// Reads messages from the master.
class ControlReader {
 public:
  ControlReader(asio::io_context& io, int fd, Drainer& drainer)
      : descriptor_(io, ::dup(fd)), drainer_(drainer) {}
  void start() {
    descriptor_.async_wait(asio::posix::stream_descriptor::wait_read, [this](error_code ec) {
      if (ec) return;
      // Readable can still mean nothing to read (a spurious wake-up): the
      // worker's loop must never block on the master either.
      auto received = receive_waiting_message(descriptor_.native_handle());
      using Status = Received::Status;
      if (received.status == Status::peer_gone) return drainer_.begin("the master went away");
      if (received.status == Status::message && received.message == kStop) {
        return drainer_.begin("asked by the master");
      }
      start();
    });
  }

 private:
  asio::posix::stream_descriptor descriptor_;
  Drainer& drainer_;
};

}  // namespace

int run_worker(const WorkerOptions& options) {
  register_membarrier_while_single_threaded();  // before any thread starts
  ::signal(SIGPIPE, SIG_IGN);
  set_up_logging(options.target, "worker");

  int threads = options.threads > 0 ? options.threads : usable_cpus();
  // Declared before the loop: connections still queued in it are destroyed
  // with it and reach back to the registry and the context.
  ConnectionRegistry registry;

  // Loaded afresh by every worker: a recycle serves renewed certificates.
  std::unique_ptr<TlsContexts> tls;
  if (!options.tls_listen_fds.empty()) {
    auto loaded = TlsContexts::load(options.tls, kServesHttp2);
    if (!loaded.ok()) {
      spdlog::error("worker {} cannot serve https: {}", ::getpid(), loaded.error());
      return 1;
    }
    tls = std::move(loaded).value();
  }

  std::vector<std::string> listen_urls;
  for (int fd : options.listen_fds) listen_urls.push_back(local_address(fd).url());
  for (int fd : options.tls_listen_fds) listen_urls.push_back(local_address(fd, true).url());
  shim::Shim shim({.target = options.target,
                   .handler_dir = shim::default_handler_dir(),
                   .request_api = native_request_api(),
                   .start_failure = options.start_failure,
                   .listen_urls = std::move(listen_urls),
                   .request_recycle = [fd = options.control_fd](const std::string& reason) {
                     if (fd >= 0) send_message(fd, std::string(kRecyclePrefix) + reason);
                   }});
  ConnectionContext context{effective_limits(options, shim),
                            [&shim](ancm_request* request) { shim.handle_request(request); },
                            &registry};
  context.http2 = kServesHttp2;
  ConnectionContext tls_context = context;
  tls_context.tls = tls.get();
  asio::io_context io(threads);

  // The app starts before this worker takes connections, so a recycle
  // hands users over to a worker whose app is already running.
  shim.preload();

  std::vector<std::shared_ptr<Listener>> listeners;
  for (int fd : options.listen_fds) {
    listeners.push_back(std::make_shared<Listener>(io, fd, context));
    listeners.back()->start();
  }
  for (int fd : options.tls_listen_fds) {
    listeners.push_back(std::make_shared<Listener>(io, fd, tls_context));
    listeners.back()->start();
  }
  Drainer drainer(io, listeners, registry, options.drain_timeout, shim.shutdown_delay());
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&drainer](error_code ec, int signal) {
    if (!ec) drainer.begin(signal == SIGTERM ? "SIGTERM" : "SIGINT");
  });
  std::unique_ptr<ControlReader> control;
  if (options.control_fd >= 0) {
    control = std::make_unique<ControlReader>(io, options.control_fd, drainer);
    control->start();
    send_message(options.control_fd, kReady);
  }
  spdlog::info("worker {} serving {} listener(s) on {} thread(s)", ::getpid(), listeners.size(),
               threads);

  std::vector<std::jthread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  pool.clear();  // joins

  shim.stop();
  spdlog::info("worker {} stopped", ::getpid());
  return 0;
}

}  // namespace ancm::server
