// The manager thread: starts children, reads their output, notices when they
// listen or exit, and stops them at shutdown. It is the only thread that
// forks, signals or reaps.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <set>
#include <string_view>
#include <thread>

#include "ancm/common/stdout_log.h"
#include "ancm/outofproc/log_text.h"
#include "h2c_probe.h"
#include "listen_probe.h"
#include "process_manager_impl.h"
#include "shutdown_event.h"
#include "spawn_plan.h"

namespace ancm::outofproc {

using namespace std::chrono_literals;

namespace {

constexpr auto kReadinessInterval = 50ms;
constexpr auto kShutdownEventTimeout = 1000ms;
// Kestrel answers the HTTP/2 preface at once either way (SETTINGS on an
// HTTP/2 endpoint, GOAWAY on an HTTP/1.1 one): only a child that is not
// Kestrel could make this wait.
constexpr auto kProtocolProbeTimeout = 1000ms;

std::string with_output(const std::string& message, const std::string& output) {
  if (output.empty()) return message + " (it printed nothing)";
  return message + "; its output:\n" + output;
}

std::string command_text(const SpawnSpec& spec) {
  std::string text = spec.executable.string();
  for (const std::string& word : spec.arguments) text += " " + word;
  return text;
}

// "exited with code 3" -> "exited early with code 3"; signals likewise.
std::string early(const std::string& how) {
  for (std::string_view verb : {"exited", "was killed"}) {
    if (how.starts_with(verb)) return std::string(verb) + " early" + how.substr(verb.size());
  }
  return how + " during start-up";
}

long long millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

// One turn: do what callers asked, wait for something to happen, then look
// at the clocks. It ends once a shutdown saw every child gone.
void ProcessManager::Impl::run() {
  while (true) {
    act_on_requests();
    if (shutdown_begun_ && watched_.empty()) break;
    wait_for_children();
    check_deadlines();
  }
  announce_stopped();
}

void ProcessManager::Impl::act_on_requests() {
  bool stopping;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
  }
  if (stopping && !shutdown_begun_) begin_shutdown();
  if (!shutdown_begun_) {
    start_requested_children();
    check_suspects();
  }
  std::erase_if(watched_, [](const Watched& w) { return w.gone; });
}

// Blocks in poll() until a caller wakes the thread, a child prints or exits,
// or the next deadline (poll_timeout) comes; then reads what came.
void ProcessManager::Impl::wait_for_children() {
  std::vector<pollfd> fds;
  fds.push_back({wake_fd_.get(), POLLIN, 0});
  for (const Watched& w : watched_) {
    fds.push_back({w.child->pidfd(), POLLIN, 0});
    fds.push_back({w.child->output_fd(), POLLIN, 0});  // -1 is skipped by poll
  }
  if (::poll(fds.data(), fds.size(), poll_timeout(Clock::now())) < 0 && errno != EINTR) {
    log(ANCM_LOG_ERROR, std::string("process manager: poll failed: ") + std::strerror(errno));
    std::this_thread::sleep_for(kReadinessInterval);
  }
  if (fds[0].revents != 0) {
    std::uint64_t count;
    (void)!::read(wake_fd_.get(), &count, sizeof count);
  }
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    Watched& w = watched_[i];
    if (fds[2 + 2 * i].revents != 0) w.child->drain_output();
    if (fds[1 + 2 * i].revents != 0) on_exit(w);
  }
}

void ProcessManager::Impl::check_deadlines() {
  Clock::time_point now = Clock::now();
  for (Watched& w : watched_) {
    if (w.starting && !w.gone && !shutdown_begun_) check_starting(w, now);
  }
  if (kill_deadline_ && now >= *kill_deadline_) {
    kill_deadline_.reset();
    kill_overdue_children();
  }
  std::lock_guard lock(mutex_);
  if (rapid_fail_until_ && now >= *rapid_fail_until_) {
    // Another crash may have moved the end; starts are allowed once it passed.
    if (auto until = rapid_fails_.blocked_until(now)) {
      rapid_fail_until_ = until;
    } else {
      note_unblocked_locked();
    }
  }
}

// The shutdown's time limit passed: what still runs is killed.
void ProcessManager::Impl::kill_overdue_children() {
  for (Watched& w : watched_) {
    if (w.gone) continue;
    log(ANCM_LOG_WARNING, "process " + std::to_string(w.child->pid()) + " ('" +
                              settings_.process_path + "') did not stop within " +
                              std::to_string(settings_.shutdown_time_limit.count()) +
                              " seconds; killing its process group");
    w.child->signal_group(SIGKILL);
  }
}

void ProcessManager::Impl::announce_stopped() {
  {
    std::lock_guard lock(mutex_);
    note_unblocked_locked();  // nothing is refused any more: the manager is gone
    stopped_ = true;
  }
  stopped_cv_.notify_all();
  // Destroyed from its own callback: this is the last thing the thread does.
  if (self_) {
    std::unique_ptr<Impl> last = std::move(self_);
  }
}

// A callback that throws must not take the manager thread down.
void ProcessManager::Impl::call_back(const Ready& ready, Acquired acquired) const {
  try {
    ready(std::move(acquired));
  } catch (const std::exception& e) {
    log(ANCM_LOG_ERROR, std::string("process manager: a caller's callback threw: ") + e.what());
  } catch (...) {
    log(ANCM_LOG_ERROR, "process manager: a caller's callback threw");
  }
}

int ProcessManager::Impl::poll_timeout(Clock::time_point now) const {
  Clock::duration wait = Clock::duration::max();
  bool any_starting = std::any_of(watched_.begin(), watched_.end(),
                                  [](const Watched& w) { return w.starting && !w.gone; });
  if (any_starting && !shutdown_begun_) wait = kReadinessInterval;
  if (kill_deadline_) wait = std::min<Clock::duration>(wait, *kill_deadline_ - now);
  {
    std::lock_guard lock(mutex_);
    if (rapid_fail_until_) wait = std::min<Clock::duration>(wait, *rapid_fail_until_ - now);
  }
  if (wait == Clock::duration::max()) return -1;
  return static_cast<int>(std::clamp<long long>(millis(wait) + 1, 0, 60'000));
}

void ProcessManager::Impl::start_requested_children() {
  std::vector<std::size_t> requested;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state == Slot::State::StartRequested) {
        slots_[i].state = Slot::State::Starting;
        requested.push_back(i);
      }
    }
  }
  for (std::size_t slot : requested) start_child(slot);
}

void ProcessManager::Impl::start_child(std::size_t slot) {
  std::set<std::uint16_t> ports_in_use;
  for (const Watched& w : watched_) ports_in_use.insert(w.child->port());

  auto plan = [&]() -> common::Result<SpawnSpec, common::PageFailure> {
    try {
      return plan_spawn(settings_, slot, ports_in_use);
    } catch (const std::exception& e) {
      return common::fail(process_not_started(settings_.process_path, e.what()));
    }
  }();
  if (!plan.ok()) {
    log(ANCM_LOG_ERROR, plan.error().reason);
    return finish_start(slot, common::fail(std::move(plan).error()));
  }
  SpawnSpec& spec = plan.value();
  std::uint16_t port = spec.port;
  std::string command = command_text(spec);

  auto spawned = SpawnedChild::spawn(std::move(spec));
  if (!spawned.ok()) {
    log(ANCM_LOG_ERROR, spawned.error().reason);
    return finish_start(slot, std::move(spawned));
  }
  std::shared_ptr<SpawnedChild> child = spawned.value();
  spawn_count_.fetch_add(1);
  report(ANCM_HOST_EVENT_CHILD_STARTED);
  log(ANCM_LOG_INFO, "started process " + std::to_string(child->pid()) + " for '" +
                         settings_.process_path + "' on port " + std::to_string(port) + ": " +
                         command + " (in " + settings_.app_path.string() + ")");
  if (settings_.stdout_log_enabled) {
    if (!settings_.console_redirection) {
      log(ANCM_LOG_WARNING,
          "stdoutLogEnabled is true but enableOutOfProcessConsoleRedirection "
          "is false: process " +
              std::to_string(child->pid()) + " writes no stdout log");
    } else {
      common::OpenedLog opened = common::open_stdout_log(settings_.stdout_log_file, child->pid());
      if (opened.fd) {
        log(ANCM_LOG_INFO, "process " + std::to_string(child->pid()) + " writes its output to " +
                               opened.path.string());
        child->attach_log(std::move(opened.fd));
      } else {
        log(ANCM_LOG_WARNING, opened.error + "; process " + std::to_string(child->pid()) +
                                  " runs without a stdout log");
      }
    }
  }
  Watched watched{child, slot, true, Clock::now(), std::nullopt};
  if (settings_.startup_time_limit.count() > 0) {
    watched.deadline = watched.started + settings_.startup_time_limit;
  }
  watched_.push_back(std::move(watched));
}

void ProcessManager::Impl::finish_start(
    std::size_t slot, common::Result<std::shared_ptr<SpawnedChild>, common::PageFailure> started) {
  std::vector<Ready> waiters;
  {
    std::lock_guard lock(mutex_);
    Slot& s = slots_[slot];
    waiters.swap(s.waiters);
    if (!started.ok()) {
      s.state = Slot::State::Empty;
      s.child.reset();
      rapid_fails_.record_failure();
      last_failure_ = started.error();
      report(ANCM_HOST_EVENT_CHILD_START_FAILED);
    } else {
      s.state = Slot::State::Ready;
      s.child = started.value();
    }
  }
  Acquired acquired = started.ok() ? Acquired(started.value()) : common::fail(started.error());
  for (const Ready& ready : waiters) call_back(ready, acquired);
}

std::string ProcessManager::Impl::reap(SpawnedChild& child) const {
  std::string how = child.reap();
  if (child.group_left_behind()) {
    log(ANCM_LOG_WARNING, "process group " + std::to_string(child.pid()) + " ('" +
                              settings_.process_path +
                              "') still has members after SIGKILL; they are left to the system");
  }
  return how;
}

void ProcessManager::Impl::on_exit(Watched& watched) {
  SpawnedChild& child = *watched.child;
  std::string how = reap(child);
  watched.gone = true;
  std::string pid = std::to_string(child.pid());
  if (shutdown_begun_) {
    log(ANCM_LOG_INFO, "process " + pid + " ('" + settings_.process_path + "') stopped: " + how);
    return;
  }
  if (watched.starting) {
    common::PageFailure failure = process_start_failure(
        "process '" + settings_.process_path + "' " + early(how), child.output());
    log(ANCM_LOG_ERROR, with_output(failure.reason + " (pid " + pid + ", port " +
                                        std::to_string(child.port()) + ")",
                                    failure.detail));
    return finish_start(watched.slot, common::fail(std::move(failure)));
  }
  std::string output = child.output();
  log(ANCM_LOG_ERROR,
      with_output("process " + pid + " " + how +
                      "; it is restarted on the next request (processPath '" +
                      settings_.process_path + "', port " + std::to_string(child.port()) + ")",
                  output));
  report(ANCM_HOST_EVENT_CHILD_CRASHED);
  {
    std::lock_guard lock(mutex_);
    rapid_fails_.record_failure();
    last_failure_ = process_start_failure(
        "process '" + settings_.process_path + "' (pid " + pid + ") " + how, std::move(output));
  }
  vacate(watched.slot, watched.child);
}

void ProcessManager::Impl::vacate(std::size_t slot, const std::shared_ptr<SpawnedChild>& dead) {
  std::vector<Ready> refused;
  std::optional<Acquired> refusal;  // set while rapid-fail protection holds
  {
    std::lock_guard lock(mutex_);
    Slot& s = slots_[slot];
    if (s.child != dead) return;  // an acquire already asked for a new one
    s.child.reset();
    if (s.waiters.empty()) {
      s.state = Slot::State::Empty;
      return;
    }
    if (auto until = rapid_fails_.blocked_until()) {
      refusal = refuse_start_locked(*until);
      refused.swap(s.waiters);
      s.state = Slot::State::Empty;
    } else {
      s.state = Slot::State::StartRequested;  // started at the top of the next turn
    }
  }
  for (const Ready& ready : refused) call_back(ready, *refusal);
}

void ProcessManager::Impl::check_starting(Watched& watched, Clock::time_point now) {
  SpawnedChild& child = *watched.child;
  if (group_listens_on(child.pid(), child.port())) {
    watched.starting = false;
    child.set_protocol(probe_child_protocol(child.port(), kProtocolProbeTimeout));
    bool h2c = child.protocol() == ChildProtocol::H2c;
    log(ANCM_LOG_INFO, "process " + std::to_string(child.pid()) + " ('" + settings_.process_path +
                           "') listens on port " + std::to_string(child.port()) + " after " +
                           std::to_string(millis(now - watched.started)) + " ms; " +
                           std::string(h2c ? kChildSpeaksH2c : kChildSpeaksHttp1));
    return finish_start(watched.slot, watched.child);
  }
  if (!watched.deadline || now < *watched.deadline) return;
  child.signal_group(SIGKILL);
  reap(child);
  watched.gone = true;
  common::PageFailure failure =
      process_start_failure("process '" + settings_.process_path + "' did not listen on port " +
                                std::to_string(child.port()) + " within " +
                                std::to_string(settings_.startup_time_limit.count()) + " seconds",
                            child.output());
  log(ANCM_LOG_ERROR,
      with_output(failure.reason + "; killed process group " + std::to_string(child.pid()),
                  failure.detail));
  finish_start(watched.slot, common::fail(std::move(failure)));
}

void ProcessManager::Impl::check_suspects() {
  std::vector<std::shared_ptr<ChildProcess>> suspects;
  {
    std::lock_guard lock(mutex_);
    suspects.swap(suspects_);
  }
  for (const auto& suspect : suspects) {
    auto it = std::find_if(watched_.begin(), watched_.end(), [&](const Watched& w) {
      return w.child.get() == suspect.get() && !w.starting && !w.gone;
    });
    if (it == watched_.end()) continue;  // it exited: on_exit dealt with its slot
    SpawnedChild& child = *it->child;
    if (!group_listens_on(child.pid(), child.port())) {
      log(ANCM_LOG_WARNING, "process " + std::to_string(child.pid()) + " ('" +
                                settings_.process_path + "') no longer listens on port " +
                                std::to_string(child.port()) + "; it is stopped and replaced");
      child.signal_group(SIGKILL);  // on_exit records the failure and starts a new one
      continue;
    }
    // A passing hiccup: it is still there and listening.
    std::vector<Ready> waiters;
    {
      std::lock_guard lock(mutex_);
      Slot& slot = slots_[it->slot];
      if (slot.child != it->child || slot.state != Slot::State::Checking) continue;
      slot.state = Slot::State::Ready;
      waiters.swap(slot.waiters);
    }
    for (const Ready& ready : waiters) call_back(ready, Acquired(it->child));
  }
}

void ProcessManager::Impl::begin_shutdown() {
  shutdown_begun_ = true;
  std::vector<Ready> waiters;
  {
    std::lock_guard lock(mutex_);
    for (Slot& slot : slots_) {
      std::move(slot.waiters.begin(), slot.waiters.end(), std::back_inserter(waiters));
      slot.waiters.clear();
      slot.state = Slot::State::Empty;
      slot.child.reset();
    }
    suspects_.clear();
  }
  for (const Ready& ready : waiters) {
    call_back(ready, common::fail(process_manager_stopping()));
  }
  if (watched_.empty()) return;

  // The shutdown event first (ASP.NET Core's IIS integration stops the app on
  // it), to every listening child at once; then SIGTERM to every group.
  std::vector<int> statuses(watched_.size(), -1);
  {
    std::vector<std::thread> senders;
    for (std::size_t i = 0; i < watched_.size(); ++i) {
      const Watched& w = watched_[i];
      if (w.starting || w.gone) continue;
      senders.emplace_back([&statuses, i, port = w.child->port(), token = w.child->token()] {
        statuses[i] = send_shutdown_event(port, token, kShutdownEventTimeout);
      });
    }
    for (std::thread& sender : senders) sender.join();
  }
  for (std::size_t i = 0; i < watched_.size(); ++i) {
    Watched& w = watched_[i];
    if (w.gone) continue;
    std::string pid = std::to_string(w.child->pid());
    if (statuses[i] >= 0) {
      log(statuses[i] == 202 ? ANCM_LOG_INFO : ANCM_LOG_WARNING,
          "process " + pid + ": shutdown event on port " + std::to_string(w.child->port()) +
              (statuses[i] == 0 ? std::string(" got no answer")
                                : " answered " + std::to_string(statuses[i])));
    }
    w.child->signal_group(SIGTERM);
  }
  log(ANCM_LOG_INFO, "stopping " + std::to_string(watched_.size()) + " process(es) of '" +
                         settings_.process_path + "'; killed after " +
                         std::to_string(settings_.shutdown_time_limit.count()) + " seconds");
  kill_deadline_ = Clock::now() + settings_.shutdown_time_limit;
}

}  // namespace ancm::outofproc
