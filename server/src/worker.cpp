#include "ancm/server/worker.h"

#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "ancm/server/listen_address.h"
#include "ancm/shim/handler_dir.h"
#include "ancm/shim/shim.h"
#include "connection_registry.h"
#include "connection_starter.h"
#include "control_channel.h"
#include "log_setup.h"
#include "observe/admin_server.h"
#include "observe/worker_observation.h"
#include "request_handle.h"
#include "runtime_preparation.h"
#include "socket_address.h"
#include "startup_stop.h"
#include "tls_context.h"
#include "warm_up.h"

namespace ancm::server {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// The CPUs this process may run on (taskset, cgroup cpusets), not all the
// machine has: more I/O threads than that only contend.
int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// TCP over IPv4 or IPv6, or a Unix domain stream socket (unix: URLs and
// what systemd passes): one acceptor type serves them all.
asio::generic::stream_protocol protocol_of(int fd) {
  int family = local_socket_address(fd).family;
  if (family == AF_UNIX) return {AF_UNIX, 0};
  return {family == AF_INET6 ? AF_INET6 : AF_INET, IPPROTO_TCP};
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
    acceptor_.async_accept([self = shared_from_this()](error_code ec, ClientStream::Socket s) {
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
  // generic::stream_protocol names no acceptor type of its own.
  asio::basic_socket_acceptor<asio::generic::stream_protocol> acceptor_;
  asio::steady_timer retry_;
  const ConnectionContext& context_;
};

// Stops accepting, lets in-flight requests finish, then stops the loop.
class Drainer {
 public:
  Drainer(asio::io_context& io, std::vector<std::shared_ptr<Listener>>& listeners,
          std::vector<std::shared_ptr<AdminListener>>& admin, ConnectionRegistry& registry,
          std::chrono::seconds timeout, std::chrono::milliseconds delay)
      : io_(io),
        listeners_(listeners),
        admin_(admin),
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
    for (auto& listener : admin_) listener->stop();  // the next worker answers
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
  std::vector<std::shared_ptr<AdminListener>>& admin_;
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
  ControlReader(asio::io_context& io, int fd, Drainer& drainer, AccessLog* access_log)
      : descriptor_(io, ::dup(fd)), drainer_(drainer), access_log_(access_log) {}
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
      if (received.status == Status::message && received.message == kReopenLogs && access_log_) {
        access_log_->reopen();
      }
      start();
    });
  }

 private:
  asio::posix::stream_descriptor descriptor_;
  Drainer& drainer_;
  AccessLog* access_log_;
};

// Loaded afresh by every worker: a recycle serves renewed certificates. Null
// when the worker has no https:// listener.
common::Result<std::unique_ptr<TlsContexts>> load_tls(const WorkerOptions& options) {
  if (options.tls_listen_fds.empty()) return std::unique_ptr<TlsContexts>();
  auto loaded = TlsContexts::load(options.tls, kServesHttp2);
  if (!loaded.ok()) return common::fail(std::move(loaded).error());
  return std::move(loaded).value();
}

// What IServerAddressesFeature lists in-process: the inherited sockets' URLs.
std::vector<std::string> listen_urls(const WorkerOptions& options) {
  std::vector<std::string> urls;
  for (int fd : options.listen_fds) urls.push_back(local_address(fd).url());
  for (int fd : options.tls_listen_fds) urls.push_back(local_address(fd, true).url());
  return urls;
}

shim::ShimOptions shim_options(const WorkerOptions& options, ChildEvents& children) {
  return {.target = options.target,
          .handler_dir = shim::default_handler_dir(),
          .request_api = native_request_api(),
          .start_failure = options.start_failure,
          .listen_urls = listen_urls(options),
          .request_recycle =
              [fd = options.control_fd](const std::string& reason) {
                if (fd >= 0) send_message(fd, std::string(kRecyclePrefix) + reason);
              },
          .note_substatus = [](ancm_request* request,
                               int substatus) { note_substatus(request, substatus); },
          .report_event = [&children](ancm_host_event event) { children.record(event); }};
}

std::vector<std::shared_ptr<Listener>> start_listeners(asio::io_context& io,
                                                       const WorkerOptions& options,
                                                       const ConnectionContext& context,
                                                       const ConnectionContext& tls_context) {
  std::vector<std::shared_ptr<Listener>> listeners;
  for (int fd : options.listen_fds)
    listeners.push_back(std::make_shared<Listener>(io, fd, context));
  for (int fd : options.tls_listen_fds) {
    listeners.push_back(std::make_shared<Listener>(io, fd, tls_context));
  }
  for (auto& listener : listeners) listener->start();
  return listeners;
}

// What starts the drain: SIGTERM or SIGINT, and the master's `stop` (or its
// going away). Tells the master this worker is ready once it listens for it.
class StopWatch {
 public:
  StopWatch(asio::io_context& io, int control_fd, Drainer& drainer, AccessLog* access_log,
            std::string_view ready)
      : signals_(io, SIGTERM, SIGINT) {
    signals_.async_wait([&drainer](error_code ec, int signal) {
      if (!ec) drainer.begin(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    });
    if (control_fd < 0) return;
    control_ = std::make_unique<ControlReader>(io, control_fd, drainer, access_log);
    control_->start();
    send_message(control_fd, ready);
  }

 private:
  asio::signal_set signals_;
  std::unique_ptr<ControlReader> control_;
};

// What the master is told (and logs) once this worker listens.
std::string_view ready_message(shim::Shim::Preload preloaded) {
  switch (preloaded) {
    case shim::Shim::Preload::Started:
      return kReady;
    case shim::Shim::Preload::Failed:
      return kReadyFailed;
    case shim::Shim::Preload::Offline:
      return kReadyOffline;
    case shim::Shim::Preload::BadConfig:
      return kReadyBadConfig;
    case shim::Shim::Preload::StillStarting:
      break;
  }
  return kReadyStarting;
}

std::vector<std::shared_ptr<AdminListener>> start_admin(asio::io_context& io,
                                                        const WorkerOptions& options,
                                                        const AdminSources& sources) {
  std::vector<std::shared_ptr<AdminListener>> admin;
  for (int fd : options.admin_listen_fds) {
    admin.push_back(std::make_shared<AdminListener>(io, fd, sources));
    admin.back()->start();
  }
  return admin;
}

// The loop on `threads` threads, this one included, until the drain stops it.
void run_loop(asio::io_context& io, int threads) {
  std::vector<std::jthread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
}  // pool joins

}  // namespace

int run_worker(const WorkerOptions& options) {
  register_membarrier_while_single_threaded();  // before any thread starts
  ::signal(SIGPIPE, SIG_IGN);
  set_up_logging(options.target, "worker");

  int threads = options.threads > 0 ? options.threads : usable_cpus();
  // Declared first, so it goes last: it writes what it holds once the loop
  // and the app are done.
  auto access_log = open_access_log(options);
  if (!access_log.ok()) {
    spdlog::error("worker {}: {}", ::getpid(), access_log.error());
    return 1;
  }
  // Declared before the loop: connections still queued in it are destroyed
  // with it and reach back to the registry and the context.
  ConnectionRegistry registry;
  auto tls = load_tls(options);
  if (!tls.ok()) {
    spdlog::error("worker {} cannot serve https: {}", ::getpid(), tls.error());
    return 1;
  }
  // Before the shim, which reports its children's events into it from the start.
  ChildEvents children;
  shim::Shim shim(shim_options(options, children));
  ConnectionContext context{effective_limits(options, shim),
                            [&shim](ancm_request* request) { shim.handle_request(request); },
                            &registry};
  context.http2 = kServesHttp2;
  context.one_loop_thread = threads == 1;
  WorkerObservation observation(options, shim, registry, children, access_log.value().get());
  if (observation.enabled) context.observer = &observation.observer;
  ConnectionContext tls_context = context;
  tls_context.tls = tls.value().get();
  // The initializationPage request is the worker's own: not in the access
  // log or the metrics, which count what clients asked.
  ConnectionContext warm_up_context = context;
  warm_up_context.observer = nullptr;
  asio::io_context io(threads);

  // The app starts (and its initializationPage is answered) before this
  // worker takes connections, so a recycle hands users over to a worker whose
  // app is already running and warm; the old one serves meanwhile.
  StartupStopWatch startup_stop(options.control_fd, shim);
  auto preloaded = shim.preload();
  if (!startup_stop.stop_requested()) {
    if (preloaded == shim::Shim::Preload::Failed) observation.observer.note_start_failure();
    warm_up(io, warm_up_context, shim.warm_up(), preloaded,
            [&startup_stop] { return startup_stop.stop_requested(); });
  }
  if (startup_stop.finish()) {
    shim.stop();
    spdlog::info("worker {} stopped while its application started", ::getpid());
    return 0;
  }

  auto listeners = start_listeners(io, options, context, tls_context);
  auto admin = start_admin(io, options, observation.sources);
  Drainer drainer(io, listeners, admin, registry, options.drain_timeout, shim.shutdown_delay());
  StopWatch stop_watch(io, options.control_fd, drainer, access_log.value().get(),
                       ready_message(preloaded));
  spdlog::info("worker {} serving {} listener(s) on {} thread(s)", ::getpid(), listeners.size(),
               threads);
  run_loop(io, threads);

  shim.stop();
  spdlog::info("worker {} stopped", ::getpid());
  return 0;
}

}  // namespace ancm::server
