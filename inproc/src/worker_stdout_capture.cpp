#include "worker_stdout_capture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ancm/common/error_page.h"
#include "ancm/common/stdout_log.h"
#include "ancm/common/write_all.h"

namespace ancm::inproc {

WorkerStdoutCapture::WorkerStdoutCapture(const std::filesystem::path& log_base) {
  if (!log_base.empty()) {
    auto opened = common::open_stdout_log(log_base, ::getpid());
    log_file_ = std::move(opened.fd);
    log_path_ = opened.path;
    warning_ = opened.error;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    warning_ = std::string("cannot capture the application's output: ") + std::strerror(errno);
    return;
  }
  read_end_.reset(fds[0]);
  common::UniqueFd write_end(fds[1]);
  wake_.reset(::eventfd(0, EFD_CLOEXEC));
  std::fflush(stdout);
  std::fflush(stderr);
  saved_stdout_.reset(::fcntl(1, F_DUPFD_CLOEXEC, 3));
  saved_stderr_.reset(::fcntl(2, F_DUPFD_CLOEXEC, 3));
  ::dup2(write_end.get(), 1);
  ::dup2(write_end.get(), 2);
  thread_ = std::jthread([this] { pump(); });
}

WorkerStdoutCapture::~WorkerStdoutCapture() {
  if (!thread_.joinable()) return;
  std::fflush(stdout);
  std::fflush(stderr);
  ::dup2(saved_stdout_.get(), 1);
  ::dup2(saved_stderr_.get(), 2);
  uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
  thread_.join();
}

std::string WorkerStdoutCapture::captured() const {
  std::lock_guard lock(mutex_);
  return captured_;
}

void WorkerStdoutCapture::pump() {
  char buffer[8192];
  for (;;) {
    pollfd fds[] = {{read_end_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (!(fds[0].revents & (POLLIN | POLLHUP))) continue;
    ssize_t n = ::read(read_end_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    auto size = static_cast<std::size_t>(n);
    std::string_view bytes(buffer, size);
    common::write_all(saved_stdout_.get(), bytes);
    if (log_file_) common::write_all(log_file_.get(), bytes);
    std::lock_guard lock(mutex_);
    if (captured_.size() < common::kMaxAppOutputChars * 4) {
      captured_.append(buffer, size);
      captured_ = std::string(common::truncate_utf8(captured_, common::kMaxAppOutputChars));
    }
  }
}

}  // namespace ancm::inproc
