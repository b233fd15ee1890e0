#include "host_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "http_client.h"
#include "temp_dir.h"

namespace ancm::test {

std::filesystem::path ancm_host_binary() { return ANCM_TEST_HOST_BINARY; }

std::filesystem::path handler_dir(const std::string& name) {
  return std::filesystem::path(ANCM_TEST_HANDLER_ROOT) / name;
}

HostProcess::HostProcess(HostOptions options) {
  static int counter = 0;
  auto stem = std::filesystem::temp_directory_path() /
              ("ancm-host-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  out_path_ = stem.string() + ".out";
  err_path_ = stem.string() + ".err";

  auto executable = options.executable.empty() ? ancm_host_binary() : options.executable;
  std::vector<std::string> args = {executable.string(), options.command, options.target.string()};
  if (options.command == "run" && !options.listen.empty()) {
    args.push_back("--listen");
    args.push_back(options.listen);
  }
  for (auto& arg : options.extra_args) args.push_back(arg);
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (auto& [name, value] : options.env) env_strings.push_back(name + "=" + value);

  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    for (auto& entry : env_strings) ::putenv(entry.data());
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
  if (options.command != "run") return;
  std::regex listening("listening on https?://unix:");
  std::regex tcp_listening("listening on https?://[^ ]*:([0-9]+)");
  eventually(
      [&] {
        std::smatch match;
        std::string out = read_file(out_path_);
        if (std::regex_search(out, match, tcp_listening)) {
          port_ = static_cast<uint16_t>(std::stoi(match[1]));
          listening_ = true;
          return true;
        }
        if (std::regex_search(out, listening)) {
          listening_ = true;
          return true;
        }
        return wait_exit(std::chrono::milliseconds(0)).has_value();
      },
      std::chrono::seconds(20));
}

HostProcess::~HostProcess() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    if (!exit_status_) ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove(out_path_, ignored);
  std::filesystem::remove(err_path_, ignored);
}

void HostProcess::signal(int signal_number) const { ::kill(pid_, signal_number); }

std::optional<int> HostProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = status;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

std::string HostProcess::output() const { return read_file(out_path_) + read_file(err_path_); }

bool HostProcess::wait_for_output(const std::string& needle,
                                  std::chrono::milliseconds timeout) const {
  return eventually([&] { return output().find(needle) != std::string::npos; }, timeout);
}

std::vector<pid_t> HostProcess::children() const { return children_of(pid_); }

pid_t HostProcess::worker() const {
  for (pid_t pid : children()) {
    std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == "ancm-host") return pid;
  }
  return -1;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // pid (comm) state ppid pgrp ...; comm may hold spaces, so start after ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  ProcStat parsed;
  if (!(rest >> parsed.state >> parsed.parent >> parsed.group)) return std::nullopt;
  return parsed;
}

std::vector<pid_t> live_processes() {
  std::vector<pid_t> found;
  std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
  if (!proc) return found;
  while (auto* entry = ::readdir(proc.get())) {
    pid_t pid = std::atoi(entry->d_name);
    auto stat = pid > 0 ? read_proc_stat(pid) : std::nullopt;
    if (stat && stat->state != 'Z') found.push_back(pid);
  }
  return found;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> found;
  for (pid_t pid : live_processes()) {
    auto stat = read_proc_stat(pid);
    if (stat && stat->parent == parent) found.push_back(pid);
  }
  return found;
}

std::set<pid_t> process_group(pid_t leader) {
  std::set<pid_t> found;
  for (pid_t pid : live_processes()) {
    auto stat = read_proc_stat(pid);
    if (stat && stat->group == leader) found.insert(pid);
  }
  return found;
}

pid_t parent_of(pid_t pid) {
  auto stat = read_proc_stat(pid);
  return stat ? stat->parent : -1;
}

bool process_exists(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

bool wait_for_in_flight(uint16_t port, int count, std::chrono::milliseconds timeout) {
  const std::string want = std::to_string(count);
  return eventually(
      [&] {
        auto response = http_get(port, "/in-flight");
        return response && response->status == 200 && response->body == want;
      },
      timeout);
}

std::vector<pid_t> ready_workers(const HostProcess& host) {
  static const std::regex ready("worker ([0-9]+) is ready");
  std::vector<pid_t> pids;
  std::string output = host.output();
  for (std::sregex_iterator it(output.begin(), output.end(), ready), end; it != end; ++it) {
    pids.push_back(std::stoi((*it)[1]));
  }
  return pids;
}

}  // namespace ancm::test
