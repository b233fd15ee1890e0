#include "process_group.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

#include "ancm/common/read_all.h"
#include "ancm/common/unique_fd.h"

namespace fs = std::filesystem;

namespace ancm::outofproc {
namespace {

struct StatFields {
  char state = '?';
  pid_t pgrp = 0;
};

// /proc/<pid>/stat: state and process group come after the command name in
// parentheses (which may itself hold spaces and ')').
std::optional<StatFields> read_stat(const fs::path& stat_file) {
  std::optional<std::string> text = read_proc_file(stat_file);
  if (!text) return std::nullopt;
  const std::string& stat = *text;
  std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string state;
  long ppid = 0;
  long pgrp = 0;
  if (!(fields >> state >> ppid >> pgrp) || state.empty()) return std::nullopt;
  return StatFields{state[0], static_cast<pid_t>(pgrp)};
}

}  // namespace

// Not through a stream: a process that exits while its file is read makes
// read() fail with ESRCH, which libstdc++'s filebuf turns into an exception.
std::optional<std::string> read_proc_file(const fs::path& path) {
  common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  return common::read_all(fd.get());
}

std::set<pid_t> processes_in_group(pid_t pgid, const fs::path& proc) {
  std::set<pid_t> members;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(proc, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = read_stat(entry.path() / "stat");
    if (stat && stat->pgrp == pgid && stat->state != 'Z' && stat->state != 'X') {
      members.insert(static_cast<pid_t>(std::strtol(name.c_str(), nullptr, 10)));
    }
  }
  return members;
}

bool wait_for_group_to_empty(pid_t pgid, pid_t except, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    std::set<pid_t> members = processes_in_group(pgid);
    members.erase(except);
    if (members.empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace ancm::outofproc
