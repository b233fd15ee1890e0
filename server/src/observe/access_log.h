// The access log of one worker: one line per request, appended to a file
// (or stdout, "-") by a writer thread of its own, so no I/O thread ever
// waits on the disk. I/O threads format a line into a shared buffer (one
// short lock); the writer takes the buffer every second, or sooner once
// 64 KiB wait, and writes it with one write(2). The file is opened with
// O_APPEND: the old and the new worker of an overlapped recycle append to
// the same file, each batch at the end, whole lines only. A disk that stalls
// for long makes the buffer grow to 16 MiB at most; lines past that are
// dropped and counted (a warning says how many).
//
// reopen() (the master relays SIGUSR1 as the control message "reopen-logs")
// makes the writer flush what waits to the file it has open (after a
// logrotate `mv`, the renamed one), then open the path again: a line goes to
// exactly one of the two. The destructor flushes what waits and joins the
// writer (the worker's drain is over by then).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "ancm/common/result.h"
#include "ancm/common/unique_fd.h"
#include "observe/access_log_format.h"
#include "observe/request_record.h"

namespace ancm::server {

class AccessLog {
 public:
  // path "-" is stdout. Fails naming the file when it cannot be opened.
  static common::Result<std::unique_ptr<AccessLog>> open(const std::filesystem::path& path,
                                                         AccessLogFormat format);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Any thread: the line is formatted now and written within a second.
  void record(const RequestRecord& record);
  // Any thread: flush to the file open now, then open the path again.
  void reopen();

 private:
  AccessLog(std::filesystem::path path, AccessLogFormat format, common::UniqueFd fd);
  void run(std::stop_token stop);
  void write_out(const std::string& bytes);  // writer thread
  void open_again();                         // writer thread

  const std::filesystem::path path_;
  const AccessLogFormat format_;
  common::UniqueFd fd_;  // the writer thread's only

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::string pending_;        // under mutex_
  uint64_t dropped_ = 0;       // under mutex_: lines past the bound, not yet reported
  bool reopen_asked_ = false;  // under mutex_
  std::jthread writer_;        // last: started once the rest is in place, joined first
};

}  // namespace ancm::server
