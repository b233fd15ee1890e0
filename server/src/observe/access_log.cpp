#include "observe/access_log.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ancm::server {
namespace {

constexpr std::size_t kWriteAtBytes = 64 * 1024;
constexpr std::size_t kMaxPendingBytes = 16 * 1024 * 1024;
constexpr auto kFlushEvery = std::chrono::seconds(1);

bool is_stdout(const std::filesystem::path& path) { return path == "-"; }

common::Result<common::UniqueFd> open_file(const std::filesystem::path& path) {
  if (is_stdout(path)) {
    common::UniqueFd fd(::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0));
    if (!fd)
      return common::fail(std::string("access log: cannot use stdout: ") + std::strerror(errno));
    return fd;
  }
  common::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd) {
    return common::fail("access log " + path.string() + ": cannot open: " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

common::Result<std::unique_ptr<AccessLog>> AccessLog::open(const std::filesystem::path& path,
                                                           AccessLogFormat format) {
  auto fd = open_file(path);
  if (!fd.ok()) return common::fail(std::move(fd).error());
  return std::unique_ptr<AccessLog>(new AccessLog(path, format, std::move(fd).value()));
}

AccessLog::AccessLog(std::filesystem::path path, AccessLogFormat format, common::UniqueFd fd)
    : path_(std::move(path)), format_(format), fd_(std::move(fd)) {
  pending_ = access_log_header(format_, std::chrono::system_clock::now());
  writer_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

AccessLog::~AccessLog() {
  writer_.request_stop();
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void AccessLog::record(const RequestRecord& record) {
  std::string line;
  append_access_log_line(format_, record, line);
  bool write_soon = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() + line.size() > kMaxPendingBytes) {
      ++dropped_;
      return;
    }
    pending_ += line;
    write_soon = pending_.size() >= kWriteAtBytes;
  }
  if (write_soon) wake_.notify_one();
}

void AccessLog::reopen() {
  {
    std::lock_guard lock(mutex_);
    reopen_asked_ = true;
  }
  wake_.notify_one();
}

void AccessLog::run(std::stop_token stop) {
  std::string batch;
  for (;;) {
    bool reopen = false;
    uint64_t dropped = 0;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, kFlushEvery,
                     [this] { return reopen_asked_ || pending_.size() >= kWriteAtBytes; });
      batch.swap(pending_);
      reopen = std::exchange(reopen_asked_, false);
      dropped = std::exchange(dropped_, 0);
      stopping = stop.stop_requested();
    }
    if (dropped > 0) {
      spdlog::warn("access log {}: the disk did not keep up; {} line(s) dropped", path_.string(),
                   dropped);
    }
    write_out(batch);
    batch.clear();
    if (reopen) open_again();
    if (stopping) {
      std::lock_guard lock(mutex_);
      if (pending_.empty()) return;  // else a last record came meanwhile: one more turn
    }
  }
}

void AccessLog::write_out(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd_.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::error("access log {}: write failed: {}; {} byte(s) lost", path_.string(),
                    n < 0 ? std::strerror(errno) : "nothing written", bytes.size() - done);
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

// After logrotate's `mv`: what was written went to the renamed file; lines
// from now on go to a new file at the path (a new header first, for w3c).
void AccessLog::open_again() {
  if (is_stdout(path_)) return;
  auto fd = open_file(path_);
  if (!fd.ok()) {
    spdlog::error("{}; still writing to the file open before", fd.error());
    return;
  }
  fd_ = std::move(fd).value();
  write_out(access_log_header(format_, std::chrono::system_clock::now()));
  spdlog::info("access log {} reopened", path_.string());
}

}  // namespace ancm::server
