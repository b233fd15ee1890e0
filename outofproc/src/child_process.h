// One spawned application process: fork/exec in its own process group, its
// output pipe, its pidfd, and the kill/reap steps the manager drives.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ancm/common/page_failure.h"
#include "ancm/common/result.h"
#include "ancm/common/unique_fd.h"
#include "child_output.h"
#include "process_manager.h"

namespace ancm::outofproc {

struct SpawnSpec {
  std::filesystem::path executable;      // absolute
  std::string shown_path;                // processPath as configured, for messages
  std::vector<std::string> arguments;    // without argv[0]
  std::vector<std::string> environment;  // NAME=VALUE
  std::filesystem::path working_directory;
  std::uint16_t port = 0;
  std::string token;
  bool redirect_output = true;   // else stdout/stderr go to /dev/null
  bool batch_scheduling = true;  // SCHED_BATCH (handlerSetting batchScheduling)
};

// waitid(2)'s si_code and si_status in common::describe_process_end's words.
std::string describe_exit(int code, int status);

class SpawnedChild final : public ChildProcess {
 public:
  // Forks and execs. Must run on a thread that lives as long as the child
  // should: PR_SET_PDEATHSIG fires when the forking *thread* ends.
  static common::Result<std::shared_ptr<SpawnedChild>, common::PageFailure> spawn(SpawnSpec spec);

  struct Key {};  // spawn() is the only way in
  SpawnedChild(Key, pid_t pid, common::UniqueFd pidfd, common::UniqueFd output, SpawnSpec spec);
  // Kills and reaps the group if the manager did not (it always should).
  ~SpawnedChild() override;

  pid_t pid() const override { return pid_; }
  uint16_t port() const override { return port_; }
  const std::string& token() const override { return token_; }
  bool running() const override { return running_.load(); }
  ChildProtocol protocol() const override { return protocol_.load(); }
  // Set by the manager thread before the child is handed out.
  void set_protocol(ChildProtocol protocol) { protocol_ = protocol; }

  const std::string& shown_path() const { return shown_path_; }
  int pidfd() const { return pidfd_.get(); }
  int output_fd() const { return output_.get(); }  // -1 once closed or when not redirected

  // Output also goes to this file from now on (the stdout log is named after
  // the pid, so it is opened once the child exists).
  void attach_log(common::UniqueFd log) { capture_.set_log(std::move(log)); }
  // Reads what the output pipe holds now; closes it at end-of-file.
  void drain_output();
  std::string output() const { return capture_.text(); }

  // Signals the whole process group (only while unreaped, so the id cannot
  // belong to anyone else).
  void signal_group(int signal);

  // Once the pidfd is readable: kills what is left of the group, reaps the
  // child, reads the last output. Returns describe_exit() of its status.
  std::string reap();
  bool reaped() const { return reaped_; }
  // True when members of its group were still alive after the reap (stuck in
  // the kernel); the manager logs it.
  bool group_left_behind() const { return group_left_behind_; }
  void mark_not_running() { running_ = false; }

 private:
  pid_t pid_;
  common::UniqueFd pidfd_;
  common::UniqueFd output_;
  std::uint16_t port_;
  std::string token_;
  std::string shown_path_;
  ChildOutput capture_;
  std::atomic<bool> running_{true};
  std::atomic<ChildProtocol> protocol_{ChildProtocol::Http1};
  bool reaped_ = false;
  bool group_left_behind_ = false;
};

}  // namespace ancm::outofproc
