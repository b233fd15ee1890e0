// A real `ancm-host run` process for end-to-end tests, in its own process
// group so nothing outlives the test.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ancm::test {

// Paths the build passes in.
std::filesystem::path ancm_host_binary();
// build/tests/handlers/<name>: "test", "broken", "no-entry", "empty".
std::filesystem::path handler_dir(const std::string& name);

struct HostOptions {
  std::filesystem::path target;               // web.config or app folder
  std::vector<std::string> extra_args;        // after `run <target> --listen ...`
  std::map<std::string, std::string> env;     // set for the host
  std::string listen = "http://127.0.0.1:0";  // empty: no --listen (extra_args say where)
  std::string command = "run";
  std::filesystem::path executable;  // empty: the ancm-host this build made
};

class HostProcess {
 public:
  explicit HostProcess(HostOptions options);
  ~HostProcess();  // kills the whole process group
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  // True once the master printed its listening line.
  bool started() const { return listening_; }
  // The first TCP listener's port; 0 when it listens on unix: sockets only.
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  void signal(int signal_number) const;
  // The exit status as waitpid reports it; nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // stdout + stderr so far.
  std::string output() const;
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const;

  // Direct children of the master (the workers).
  std::vector<pid_t> children() const;
  // The first child that is an ancm-host worker (by its name); -1 if none.
  pid_t worker() const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  bool listening_ = false;
  std::optional<int> exit_status_;
  std::filesystem::path out_path_, err_path_;
};

// What /proc/<pid>/stat says of a process.
struct ProcStat {
  char state = '?';  // 'Z' for a zombie
  pid_t parent = -1;
  pid_t group = -1;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);
// Processes that are not zombies (from /proc).
std::vector<pid_t> live_processes();
// Live processes whose parent is `parent`.
std::vector<pid_t> children_of(pid_t parent);
// Live processes in the process group `leader` leads.
std::set<pid_t> process_group(pid_t leader);
// -1 when the process is gone.
pid_t parent_of(pid_t pid);
bool process_exists(pid_t pid);
// The workers the master reported ready ("worker N is ready"), in order.
std::vector<pid_t> ready_workers(const HostProcess& host);

// Polls `condition` every 20 ms until it holds or the time is up.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Waits until the app on `port` says (GET /in-flight, served by the test
// handler and the SlowResponse app) that `count` requests are inside it, so
// a test acts once they arrived instead of after a guessed sleep.
bool wait_for_in_flight(uint16_t port, int count,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace ancm::test

#include <thread>

namespace ancm::test {
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}
}  // namespace ancm::test
