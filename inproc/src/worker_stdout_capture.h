// The worker's stdout and stderr while an in-process app runs: redirected
// into a pipe whose reader writes each byte to the original stdout, to the
// stdout log file when enabled, and keeps the first 30,000 characters for
// error pages.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "ancm/common/unique_fd.h"

namespace ancm::inproc {

class WorkerStdoutCapture {
 public:
  // log_base empty = no stdout log file. Warnings (a log file that cannot be
  // opened) are kept in warning().
  explicit WorkerStdoutCapture(const std::filesystem::path& log_base);
  // Restores fds 1 and 2 and stops the reader. It cannot wait for the pipe to
  // end: the runtime keeps its own duplicates of stdout and stderr.
  ~WorkerStdoutCapture();
  WorkerStdoutCapture(const WorkerStdoutCapture&) = delete;
  WorkerStdoutCapture& operator=(const WorkerStdoutCapture&) = delete;

  bool active() const { return thread_.joinable(); }
  std::string captured() const;
  const std::string& warning() const { return warning_; }
  const std::filesystem::path& log_path() const { return log_path_; }

 private:
  void pump();

  common::UniqueFd saved_stdout_, saved_stderr_, read_end_, log_file_;
  common::UniqueFd wake_;  // eventfd: stop pumping
  std::filesystem::path log_path_;
  std::string warning_;
  mutable std::mutex mutex_;
  std::string captured_;
  std::jthread thread_;
};

}  // namespace ancm::inproc
