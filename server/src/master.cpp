#include "ancm/server/master.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>

#include "ancm/config/load.h"
#include "ancm/server/command_line.h"
#include "ancm/server/listen_address.h"
#include "control_channel.h"
#include "log_setup.h"
#include "systemd.h"

namespace ancm::server {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstRestartDelay{100};
constexpr milliseconds kMaxRestartDelay{5000};
constexpr auto kHealthyUptime = std::chrono::seconds(10);
constexpr auto kKillGrace = std::chrono::seconds(5);
constexpr int kStartupCrashesBeforePage = 3;

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "ended with status " + std::to_string(status);
}

struct Worker {
  pid_t pid = -1;
  common::UniqueFd control;
  Clock::time_point started;
  std::string reason;  // why it was started
  bool ready = false;
  bool stopping = false;
};

class Master {
 public:
  Master(const MasterOptions& options, std::vector<common::UniqueFd> listeners)
      : options_(options), listeners_(std::move(listeners)) {
    char path[4096];
    ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
    self_exe_ = length > 0 ? std::string(path, static_cast<std::size_t>(length)) : "ancm-host";
  }

  int run(int signal_fd) {
    signal_fd_ = signal_fd;
    start_worker("start");
    while (!workers_.empty() || !stopping_) {
      wait_and_dispatch();
      if (stopping_ && Clock::now() >= kill_deadline_) kill_remaining();
      if (!stopping_ && restart_at_ && Clock::now() >= *restart_at_) {
        restart_at_.reset();
        start_worker("restart");
      }
    }
    spdlog::info("master {} stopped", ::getpid());
    return 0;
  }

 private:
  void wait_and_dispatch() {
    std::vector<pollfd> fds{{signal_fd_, POLLIN, 0}};
    for (auto& worker : workers_) fds.push_back({worker.control.get(), POLLIN, 0});
    int timeout = -1;
    auto until = [&](Clock::time_point when) {
      auto ms = std::chrono::duration_cast<milliseconds>(when - Clock::now()).count();
      int bounded = static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
      timeout = timeout < 0 ? bounded : std::min(timeout, bounded);
    };
    if (restart_at_ && !stopping_) until(*restart_at_);
    if (stopping_) until(kill_deadline_);
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
      spdlog::error("master poll failed: {}", std::strerror(errno));
    }
    if (fds[0].revents & POLLIN) read_signals();
    std::size_t i = 1;
    for (auto it = workers_.begin(); it != workers_.end() && i < fds.size(); ++it, ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP)) read_control(*it);
    }
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
      }
    }
  }

  void read_control(Worker& worker) {
    auto message = receive_message(worker.control.get());
    if (!message) {
      worker.control.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));  // stop polling it
      return;
    }
    if (*message == kReady) {
      worker.ready = true;
      spdlog::info("worker {} is ready", worker.pid);
      notify_systemd("READY=1\nMAINPID=" + std::to_string(::getpid()));
      // An overlapped recycle: the old workers stop once the new one serves.
      for (auto& other : workers_) {
        if (&other == &worker || other.stopping) continue;
        auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - worker.started);
        spdlog::info("recycled ({}): worker {} -> worker {}, switched in {} ms", worker.reason,
                     other.pid, worker.pid, took.count());
        stop_worker(other);
      }
    } else if (message->rfind(kRecyclePrefix, 0) == 0) {
      if (!worker.stopping) recycle(message->substr(kRecyclePrefix.size()));
    }
  }

  void reap() {
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = std::find_if(workers_.begin(), workers_.end(),
                             [pid](const Worker& w) { return w.pid == pid; });
      if (it == workers_.end()) continue;
      bool expected = it->stopping || stopping_;
      bool was_ready = it->ready;
      auto uptime = Clock::now() - it->started;
      workers_.erase(it);
      if (expected) {
        spdlog::info("worker {} {}", pid, describe_exit(status));
        continue;
      }
      bool others_serve = std::any_of(workers_.begin(), workers_.end(),
                                      [](const Worker& w) { return !w.stopping; });
      if (others_serve) continue;
      note_startup_crash(was_ready, status);
      failures_ = uptime >= kHealthyUptime ? 1 : failures_ + 1;
      auto delay =
          std::min(kMaxRestartDelay, kFirstRestartDelay * (1 << std::min(failures_ - 1, 6)));
      spdlog::error("worker {} {} after {} ms; starting a new worker in {} ms", pid,
                    describe_exit(status), std::chrono::duration_cast<milliseconds>(uptime).count(),
                    delay.count());
      restart_at_ = Clock::now() + delay;
    }
  }

  // Workers that keep dying before they are ready would restart forever:
  // after a few, the next worker serves the start-up error page instead, until
  // the configuration or the app changes (a recycle) or SIGHUP.
  void note_startup_crash(bool was_ready, int status) {
    startup_crashes_ = was_ready ? 0 : startup_crashes_ + 1;
    if (startup_crashes_ < kStartupCrashesBeforePage) return;
    start_failure_ = "the worker crashed " + std::to_string(startup_crashes_) +
                     " times in a row while starting the application (the last one " +
                     describe_exit(status) + ")";
    spdlog::error("{}; serving the start-up error page until web.config or the app changes",
                  start_failure_);
  }

  void stop(const char* why) {
    if (stopping_) return;
    stopping_ = true;
    notify_systemd("STOPPING=1");
    spdlog::info("master {} stopping ({}); draining for at most {} s", ::getpid(), why,
                 options_.drain_timeout.count());
    kill_deadline_ = Clock::now() + options_.shutdown_delay + options_.drain_timeout + kKillGrace;
    for (auto& worker : workers_) stop_worker(worker);
  }

  void recycle(const std::string& reason) {
    if (stopping_) return;
    // A new worker is already on its way; it reads the newest configuration.
    bool starting = std::any_of(workers_.begin(), workers_.end(),
                                [](const Worker& w) { return !w.ready && !w.stopping; });
    if (starting) return;
    spdlog::info("recycling the worker: {}", reason);
    start_failure_.clear();  // something changed: try the app again
    startup_crashes_ = 0;
    notify_systemd("RELOADING=1");
    start_worker(reason);
  }

  void stop_worker(Worker& worker) {
    worker.stopping = true;
    if (!send_message(worker.control.get(), kStop)) ::kill(worker.pid, SIGTERM);
  }

  void kill_remaining() {
    for (auto& worker : workers_) {
      spdlog::warn("worker {} did not stop in time; killing it", worker.pid);
      ::kill(worker.pid, SIGKILL);
    }
    kill_deadline_ = Clock::now() + kKillGrace;
  }

  void start_worker(const std::string& why) {
    auto [master_end, worker_end] = make_control_pair();
    WorkerOptions worker_options;
    worker_options.target = options_.target;
    worker_options.limits = options_.limits;
    worker_options.drain_timeout = options_.drain_timeout;
    worker_options.threads = options_.threads;
    worker_options.control_fd = worker_end.get();
    worker_options.start_failure = start_failure_;
    for (auto& fd : listeners_) worker_options.listen_fds.push_back(fd.get());

    std::vector<std::string> args = {self_exe_, "worker"};
    for (auto& arg : worker_arguments(worker_options)) args.push_back(std::move(arg));
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<int> inherited = worker_options.listen_fds;
    inherited.push_back(worker_end.get());

    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
      spdlog::error("cannot start a worker: fork failed: {}", std::strerror(errno));
      restart_at_ = Clock::now() + kMaxRestartDelay;
      return;
    }
    if (pid == 0) exec_worker(parent, inherited, argv.data());
    spdlog::info("started worker {} ({})", pid, why);
    workers_.push_back({pid, std::move(master_end), Clock::now(), why, false, false});
  }

  // In the child between fork and exec: async-signal-safe calls only.
  [[noreturn]] static void exec_worker(pid_t parent, const std::vector<int>& inherited,
                                       char** argv) {
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // The worker (and so its children) goes when the master goes, even on SIGKILL.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    for (int fd : inherited) ::fcntl(fd, F_SETFD, 0);
    ::execv(argv[0], argv);
    ::_exit(127);
  }

  const MasterOptions& options_;
  std::vector<common::UniqueFd> listeners_;
  std::string self_exe_;
  int signal_fd_ = -1;
  std::list<Worker> workers_;
  bool stopping_ = false;
  int failures_ = 0;
  int startup_crashes_ = 0;
  std::string start_failure_;
  std::optional<Clock::time_point> restart_at_;
  Clock::time_point kill_deadline_;
};

}  // namespace

// --listen URLs, else the sockets systemd passed, else the default address.
// Prints one parseable line per socket: scripts and tests read the port.
std::optional<std::vector<common::UniqueFd>> open_listeners(std::vector<std::string> urls) {
  std::vector<common::UniqueFd> listeners;
  if (urls.empty()) listeners = inherited_listeners();
  if (urls.empty() && listeners.empty()) urls.push_back("http://127.0.0.1:8080");
  for (const auto& url : urls) {
    auto parsed = parse_listen_url(url);
    if (auto* error = std::get_if<std::string>(&parsed)) {
      std::fprintf(stderr, "ancm-host: %s\n", error->c_str());
      return std::nullopt;
    }
    try {
      listeners.push_back(bind_listener(std::get<ListenAddress>(parsed)));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "ancm-host: %s\n", e.what());
      return std::nullopt;
    }
  }
  for (const auto& fd : listeners) {
    std::printf("ancm-host: listening on %s\n", local_address(fd.get()).url().c_str());
  }
  std::fflush(stdout);
  return listeners;
}

int run_master(const MasterOptions& options) {
  auto loaded = config::load_config(options.target);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors)
      std::fprintf(stderr, "ancm-host: %s\n", error.to_string().c_str());
    return 1;
  }
  set_up_logging(options.target, "master");

  auto listeners = open_listeners(options.listen);
  if (!listeners) return 1;
  sigset_t handled;
  ::sigemptyset(&handled);
  for (int signal : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) ::sigaddset(&handled, signal);
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
  Master master(resolved, std::move(*listeners));
  return master.run(signal_fd.get());
}

}  // namespace ancm::server
