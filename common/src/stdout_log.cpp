#include "ancm/common/stdout_log.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <system_error>

namespace fs = std::filesystem;

namespace ancm::common {

fs::path stdout_log_path(const fs::path& base, std::chrono::system_clock::time_point when,
                         pid_t pid) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &utc);
  // Appended to the text of the last segment: ".\logs\stdout" gives
  // "logs/stdout_<stamp>_<pid>.log", exactly as ANCM names it.
  return fs::path(base.string() + "_" + stamp + "_" + std::to_string(pid) + ".log");
}

OpenedLog open_stdout_log(const fs::path& base, pid_t pid) {
  OpenedLog log;
  log.path = stdout_log_path(base, std::chrono::system_clock::now(), pid);
  fs::path folder = log.path.parent_path();
  if (!folder.empty()) {
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) {
      log.error = "cannot create the stdout log folder " + folder.string() + ": " + ec.message();
      return log;
    }
  }
  int fd = ::open(log.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    log.error = "cannot open the stdout log " + log.path.string() + ": " + std::strerror(errno);
    return log;
  }
  log.fd.reset(fd);
  return log;
}

}  // namespace ancm::common
