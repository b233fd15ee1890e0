#include "ancm/server/master.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>
#include <utility>

#include "ancm/common/exit_text.h"
#include "ancm/config/load.h"
#include "ancm/server/listen_address.h"
#include "ancm/server/tls_certificates.h"
#include "ancm/server/unix_listener.h"
#include "ancm/shim/handler_dir.h"
#include "control_channel.h"
#include "log_setup.h"
#include "systemd.h"
#include "worker_spawn.h"
#include "worker_table.h"

namespace ancm::server {
namespace {

using Clock = Worker::Clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstRestartDelay{100};
constexpr milliseconds kMaxRestartDelay{5000};
constexpr auto kHealthyUptime = std::chrono::seconds(10);
constexpr auto kKillGrace = std::chrono::seconds(5);
constexpr int kStartupCrashesBeforePage = 3;

// A listening socket and whether it serves TLS. A unix: listener the master
// bound also owns its socket file, removed when the master exits (never by a
// worker, and never on a recycle: the new worker inherits the same socket).
struct Listening {
  common::UniqueFd fd;
  bool tls = false;
  // Declared after fd, so dropped first: the socket still open pins the
  // file's inode, and no other file can pass for ours.
  std::optional<UnixSocketFile> file;
};

std::string monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::to_string(static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000);
}

// Supervises the workers: starts them, recycles them, restarts them when
// they die, stops them. Waits only in poll(); never blocks on a worker.
class Master {
 public:
  Master(const MasterOptions& options, std::filesystem::path ancm_host,
         std::vector<Listening> listeners, std::vector<common::UniqueFd> admin)
      : options_(options),
        listeners_(std::move(listeners)),
        admin_(std::move(admin)),
        ancm_host_(std::move(ancm_host)) {}

  int run(int signal_fd) {
    signal_fd_ = signal_fd;
    start_worker("start");
    while (!stopping_ || !workers_.empty()) {
      wait_and_dispatch();
      kill_overdue_workers();
      restart_when_due();
    }
    spdlog::info("master {} stopped", ::getpid());
    return 0;
  }

 private:
  void wait_and_dispatch() {
    std::vector<pollfd> fds{{signal_fd_, POLLIN, 0}};
    std::vector<WorkerId> polled;  // polled[i]'s control socket is fds[i + 1]
    for (const auto& [id, worker] : workers_) {
      if (!worker.control) continue;
      fds.push_back({worker.control.get(), POLLIN, 0});
      polled.push_back(id);
    }
    if (::poll(fds.data(), fds.size(), poll_timeout()) < 0 && errno != EINTR) {
      spdlog::error("master poll failed: {}", std::strerror(errno));
    }
    if (fds[0].revents & POLLIN) read_signals();
    // Signals may have reaped (and removed) workers: match events by worker
    // id, never by position.
    for (std::size_t i = 0; i < polled.size(); ++i) {
      if (fds[i + 1].revents != 0) read_control(polled[i]);
    }
  }

  // Until the next restart or kill deadline; -1 (none) waits for an event.
  int poll_timeout() const {
    std::optional<Clock::time_point> next;
    auto consider = [&next](Clock::time_point when) {
      if (!next || when < *next) next = when;
    };
    if (restart_at_ && !stopping_) consider(*restart_at_);
    for (const auto& [id, worker] : workers_) {
      if (worker.kill_at) consider(*worker.kill_at);
    }
    if (!next) return -1;
    auto ms = std::chrono::ceil<milliseconds>(*next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
  }

  void read_signals() {
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
      switch (info.ssi_signo) {
        case SIGCHLD:
          reap();
          break;
        case SIGTERM:
        case SIGINT:
          stop(info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
          break;
        case SIGHUP:
          recycle("SIGHUP");
          break;
        case SIGUSR1:
          reopen_logs();
          break;
      }
    }
  }

  // Every message waiting on the worker's control socket; never blocks.
  void read_control(WorkerId id) {
    for (;;) {
      Worker* worker = workers_.find(id);
      if (!worker || !worker->control) return;
      auto received = receive_waiting_message(worker->control.get());
      switch (received.status) {
        case Received::Status::nothing_yet:
          return;
        case Received::Status::peer_gone:
          worker->control.reset();  // its exit arrives as SIGCHLD
          return;
        case Received::Status::message:
          on_message(*worker, received.message);
          break;
      }
    }
  }

  // logrotate's postrotate: every worker reopens its access log (each
  // flushes what it holds to the old file first).
  void reopen_logs() {
    if (!options_.access_log.enabled()) return;
    int told = 0;
    for (auto& [id, worker] : workers_) {
      if (worker.control && send_message(worker.control.get(), kReopenLogs)) ++told;
    }
    spdlog::info("SIGUSR1: {} in {} worker(s)", kReopeningAccessLog, told);
  }

  void on_message(Worker& worker, std::string_view message) {
    if (message == kReady || message.starts_with(std::string(kReady) + " ")) {
      return on_ready(worker, message);
    }
    if (message.starts_with(kRecyclePrefix)) {
      if (worker.phase != WorkerPhase::stopping) {
        recycle(std::string(message.substr(kRecyclePrefix.size())));
      }
      return;
    }
    spdlog::warn("worker {} sent an unknown control message '{}'", worker.pid, message);
  }

  // Serving, whatever state the app is in: a worker that shows an error page
  // still takes over from the old one (as ANCM keeps answering with it).
  void on_ready(Worker& worker, std::string_view message) {
    if (!workers_.move(worker, WorkerPhase::serving)) return;  // told to stop meanwhile
    log_ready(worker, message);
    notify_systemd("READY=1\nMAINPID=" + std::to_string(::getpid()));
    // An overlapped recycle: the old workers stop once the new one serves.
    for (auto& [id, other] : workers_) {
      if (id == worker.id || other.phase == WorkerPhase::stopping) continue;
      auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - worker.started);
      spdlog::info("{}: worker {} -> worker {}, switched in {} ms", recycled_because(worker.reason),
                   other.pid, worker.pid, took.count());
      stop_worker(other);
    }
    recycle_if_pending();
  }

  static void log_ready(const Worker& worker, std::string_view message) {
    if (message == kReady) return spdlog::info("worker {} {}", worker.pid, kWorkerIsReady);
    std::string_view what = "the application is still starting (startupTimeLimit passed)";
    if (message == kReadyFailed) {
      what = "the application failed to start: requests get its error page";
    } else if (message == kReadyOffline) {
      what = "app_offline.htm is present: requests get 503 with its content";
    } else if (message == kReadyBadConfig) {
      what = "web.config is broken: requests get 500.19";
    }
    spdlog::warn("worker {} {}, but {}", worker.pid, kWorkerIsUp, what);
  }

  void recycle_if_pending() {
    if (auto reason = std::exchange(pending_recycle_, std::nullopt)) recycle(*reason);
  }

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (auto worker = workers_.remove(pid)) on_worker_exit(*worker, status);
    }
  }

  void on_worker_exit(const Worker& worker, int status) {
    if (worker.phase == WorkerPhase::stopping || stopping_) {
      spdlog::info("worker {} {}", worker.pid, common::describe_wait_status(status));
    } else if (workers_.any_active()) {
      on_exit_beside_others(worker, status);
    } else {
      note_startup_crash(worker.phase == WorkerPhase::serving, status);
      schedule_restart(worker, status);
    }
  }

  // Another worker serves or is about to: no restart.
  void on_exit_beside_others(const Worker& worker, int status) {
    bool recycle_failed =
        worker.phase == WorkerPhase::starting && workers_.any(WorkerPhase::serving);
    spdlog::error(
        "worker {} ({}) {} while {}; {}", worker.pid, worker.reason,
        common::describe_wait_status(status), to_string(worker.phase),
        recycle_failed ? "the current worker keeps serving" : "the new worker takes over");
    // A reload (RELOADING=1) is over: the service runs on as it was.
    if (recycle_failed) notify_systemd("READY=1");
    if (recycle_failed) recycle_if_pending();
  }

  // Workers that keep dying before they are ready would restart forever:
  // after a few, the next worker serves the start-up error page instead, until
  // the configuration or the app changes (a recycle) or SIGHUP.
  void note_startup_crash(bool was_ready, int status) {
    startup_crashes_ = was_ready ? 0 : startup_crashes_ + 1;
    if (startup_crashes_ < kStartupCrashesBeforePage) return;
    start_failure_ = "the worker crashed " + std::to_string(startup_crashes_) +
                     " times in a row while starting the application (the last one " +
                     common::describe_wait_status(status) + ")";
    spdlog::error("{}; {}", start_failure_, kServingTheStartFailurePage);
  }

  void schedule_restart(const Worker& worker, int status) {
    auto uptime = Clock::now() - worker.started;
    failures_ = uptime >= kHealthyUptime ? 1 : failures_ + 1;
    auto delay = std::min(kMaxRestartDelay, kFirstRestartDelay * (1 << std::min(failures_ - 1, 6)));
    spdlog::error("worker {} {} after {} ms; {} in {} ms", worker.pid,
                  common::describe_wait_status(status),
                  std::chrono::duration_cast<milliseconds>(uptime).count(), kStartingANewWorker,
                  delay.count());
    restart_at_ = Clock::now() + delay;
  }

  void restart_when_due() {
    if (stopping_ || !restart_at_ || Clock::now() < *restart_at_) return;
    restart_at_.reset();
    start_worker("restart");
  }

  void stop(const char* why) {
    if (stopping_) return;
    stopping_ = true;
    notify_systemd("STOPPING=1");
    spdlog::info("master {} stopping ({}); draining for at most {} s", ::getpid(), why,
                 options_.drain_timeout.count());
    for (auto& [id, worker] : workers_) stop_worker(worker);
  }

  void recycle(const std::string& reason) {
    if (stopping_) return;
    // A worker already starting may have read the configuration before this
    // change: once it serves (or fails), another recycle follows.
    if (workers_.any(WorkerPhase::starting)) {
      if (!pending_recycle_) {
        spdlog::info("a new worker is starting; recycling again once it is up: {}", reason);
      }
      pending_recycle_ = reason;
      return;
    }
    // A new worker that cannot load its certificates would fail while the
    // old one serves on: say why here, and keep the old one.
    if (auto checked = check_tls(); !checked.ok()) {
      spdlog::error("{} ({}): {}", kCertificatesRefused, reason, checked.error());
      return;
    }
    spdlog::info("recycling the worker: {}", reason);
    ++recycles_;
    start_failure_.clear();  // something changed: try the app again
    startup_crashes_ = 0;
    restart_at_.reset();  // the new worker is the restart
    notify_systemd("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec());
    start_worker(reason);
  }

  common::Result<void> check_tls() const {
    if (!options_.tls.configured()) return {};
    return check_certificates_in_child(ancm_host_, options_.target, options_.tls);
  }

  // Drain, then exit; killed if still there after the drain and a grace.
  void stop_worker(Worker& worker) {
    if (!workers_.move(worker, WorkerPhase::stopping)) return;  // already told
    worker.kill_at = Clock::now() + options_.shutdown_delay + options_.drain_timeout + kKillGrace;
    if (!worker.control || !send_message(worker.control.get(), kStop)) {
      ::kill(worker.pid, SIGTERM);
    }
  }

  void kill_overdue_workers() {
    auto now = Clock::now();
    for (auto& [id, worker] : workers_) {
      if (!worker.kill_at || now < *worker.kill_at) continue;
      spdlog::warn("worker {} did not stop in time; killing it", worker.pid);
      ::kill(worker.pid, SIGKILL);
      worker.kill_at = now + kKillGrace;
    }
  }

  void start_worker(const std::string& why) {
    WorkerOptions worker_options;
    worker_options.target = options_.target;
    worker_options.limits = options_.limits;
    worker_options.drain_timeout = options_.drain_timeout;
    worker_options.threads = options_.threads;
    worker_options.start_failure = start_failure_;
    worker_options.tls = options_.tls;
    worker_options.access_log = options_.access_log;
    worker_options.recycles = recycles_;
    for (auto& fd : admin_) worker_options.admin_listen_fds.push_back(fd.get());
    for (auto& listening : listeners_) {
      auto& fds = listening.tls ? worker_options.tls_listen_fds : worker_options.listen_fds;
      fds.push_back(listening.fd.get());
    }
    try {
      auto spawned = spawn_worker(ancm_host_, std::move(worker_options));
      spdlog::info("started worker {} ({})", spawned.pid, why);
      workers_.add(spawned.pid, std::move(spawned.control), why);
    } catch (const std::exception& e) {
      spdlog::error("cannot start a worker ({}): {}; trying again in {} ms", why, e.what(),
                    kMaxRestartDelay.count());
      restart_at_ = Clock::now() + kMaxRestartDelay;
    }
  }

  const MasterOptions& options_;
  std::vector<Listening> listeners_;
  std::vector<common::UniqueFd> admin_;  // --admin-listen's sockets, served by the workers
  std::filesystem::path ancm_host_;      // the binary whose `worker` command a worker runs
  int signal_fd_ = -1;
  WorkerTable workers_;
  bool stopping_ = false;
  int failures_ = 0;
  int startup_crashes_ = 0;
  long long recycles_ = 0;  // a metric the workers report
  std::string start_failure_;
  std::optional<Clock::time_point> restart_at_;
  std::optional<std::string> pending_recycle_;  // asked for while a worker was starting
};

// The sockets one --listen URL stands for.
common::Result<std::vector<Listening>> bind_url(const std::string& url,
                                                const UnixSocketOptions& unix_socket) {
  auto parsed = parse_listen_url(url);
  if (!parsed.ok()) return common::fail(std::move(parsed).error());
  const auto& address = parsed.value();
  std::vector<Listening> bound;
  if (address.is_unix) {
    auto socket = bind_unix_listener(address.unix_path, unix_socket);
    if (!socket.ok()) return common::fail(std::move(socket).error());
    if (socket.value().replaced_stale_file) {
      std::printf("ancm-host: %s %s (nobody listened on it)\n", kRemovedStaleSocket.data(),
                  address.unix_path.c_str());
      spdlog::info("{} {}", kRemovedStaleSocket, address.unix_path);
    }
    bound.push_back({std::move(socket.value().fd), address.tls, std::move(socket.value().file)});
    return bound;
  }
  try {
    for (auto& fd : bind_listeners(address)) bound.push_back({std::move(fd), address.tls, {}});
  } catch (const std::exception& e) {
    return common::fail(e.what());
  }
  return bound;
}

// --listen URLs, else the sockets systemd passed, else the default address.
// Prints one parseable line per socket: scripts and tests read the port.
std::optional<std::vector<Listening>> open_listeners(const MasterOptions& options) {
  std::vector<std::string> urls = options.listen;
  std::vector<Listening> listeners;
  if (urls.empty()) {
    auto inherited = inherited_listeners();
    if (!inherited.ok()) {
      std::fprintf(stderr, "ancm-host: %s\n", inherited.error().c_str());
      return std::nullopt;
    }
    for (auto& fd : inherited.value()) listeners.push_back({std::move(fd), false, {}});
  }
  if (urls.empty() && listeners.empty()) urls.emplace_back(kDefaultListenUrl);
  for (const auto& url : urls) {
    auto bound = bind_url(url, options.unix_socket);
    if (!bound.ok()) {
      std::fprintf(stderr, "ancm-host: %s\n", bound.error().c_str());
      return std::nullopt;  // the socket files bound so far are removed
    }
    for (auto& listening : bound.value()) listeners.push_back(std::move(listening));
  }
  for (const auto& listening : listeners) {
    auto address = local_address(listening.fd.get(), listening.tls);
    std::printf("ancm-host: %s%s\n", kListeningOn, address.url().c_str());
  }
  std::fflush(stdout);
  return listeners;
}

// --admin-listen's sockets (none without it). Printed like the listeners,
// so scripts and tests read its port.
std::optional<std::vector<common::UniqueFd>> open_admin(const MasterOptions& options) {
  std::vector<common::UniqueFd> fds;
  if (options.admin_listen.empty()) return fds;
  auto parsed = parse_listen_url(options.admin_listen);
  if (!parsed.ok()) {
    std::fprintf(stderr, "ancm-host: --admin-listen: %s\n", parsed.error().c_str());
    return std::nullopt;
  }
  try {
    fds = bind_listeners(parsed.value(), 64);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ancm-host: --admin-listen: %s\n", e.what());
    return std::nullopt;
  }
  for (const auto& fd : fds) {
    std::printf("ancm-host: %s%s\n", kAdminOn, local_address(fd.get()).url().c_str());
  }
  std::fflush(stdout);
  return fds;
}

// The access log is opened by each worker (O_APPEND); the master checks at
// start that it can be, so a wrong path is an error now, naming the file.
bool access_log_writable(const AccessLogOptions& log) {
  if (!log.enabled() || log.path == "-") return true;
  common::UniqueFd fd(::open(log.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (fd) return true;
  std::fprintf(stderr, "ancm-host: access log %s: cannot open: %s\n", log.path.c_str(),
               std::strerror(errno));
  return false;
}

}  // namespace

int run_master(const MasterOptions& options, const std::filesystem::path& ancm_host) {
  auto loaded = config::load_config(options.target);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors)
      std::fprintf(stderr, "ancm-host: %s\n", error.to_string().c_str());
    return 1;
  }
  set_up_logging(options.target, "master");
  if (options.tls.configured()) {
    auto checked = check_certificates_in_child(ancm_host, options.target, options.tls);
    if (!checked.ok()) {
      std::fprintf(stderr, "ancm-host: %s\n", checked.error().c_str());
      return 1;
    }
  }

  // A binary copied without its libraries would answer every request with
  // 500.33 / 500.36; an ANCM_HANDLER_DIR set on purpose gets ANCM's pages.
  if (auto handlers = shim::find_handler_dir(ancm_host);
      !handlers.found && !handlers.from_environment) {
    std::fprintf(stderr, "ancm-host: %s\n", handlers.not_found_message().c_str());
    return 1;
  }

  if (!access_log_writable(options.access_log)) return 1;
  auto listeners = open_listeners(options);
  if (!listeners) return 1;
  auto admin = open_admin(options);
  if (!admin) return 1;
  sigset_t handled;
  ::sigemptyset(&handled);
  for (int signal : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1}) ::sigaddset(&handled, signal);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  common::UniqueFd signal_fd(::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK));
  ::signal(SIGPIPE, SIG_IGN);

  spdlog::info("master {} serving {} ({})", ::getpid(), loaded.config->config_path.string(),
               config::to_string(loaded.config->hosting_model));
  MasterOptions resolved = options;
  if (resolved.drain_timeout.count() == 0) {
    resolved.drain_timeout = loaded.config->shutdown_time_limit;
  }
  resolved.shutdown_delay = loaded.config->handler.shutdown_delay;
  Master master(resolved, ancm_host, std::move(*listeners), std::move(*admin));
  return master.run(signal_fd.get());
}

}  // namespace ancm::server
