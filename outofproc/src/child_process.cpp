#include "child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "ancm/common/exec_strings.h"
#include "ancm/common/exit_text.h"
#include "process_group.h"

namespace ancm::outofproc {
namespace {

// What the child tells the parent through the exec-error pipe when it cannot
// become the program. The pipe closes on a successful exec (O_CLOEXEC).
struct ExecError {
  int stage;  // kChdir, kRedirect or kExec
  int error;  // errno
};
constexpr int kChdir = 1;
constexpr int kRedirect = 2;
constexpr int kExec = 3;

// How long a reap waits for SIGKILLed descendants to disappear.
constexpr std::chrono::milliseconds kGroupExitLimit{2000};

const char* stage_text(int stage) {
  switch (stage) {
    case kChdir:
      return "cannot enter the working directory";
    case kRedirect:
      return "cannot redirect its output";
    default:
      return "cannot execute it";
  }
}

std::string errno_text(int error) { return std::strerror(error); }

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Runs in the forked child of a multi-threaded process: async-signal-safe
// calls only, everything prepared by the parent.
[[noreturn]] void become_program(pid_t parent, const char* executable, char* const argv[],
                                 char* const envp[], const char* working_directory, int input,
                                 int output, int error_pipe, bool batch_scheduling) {
  auto fail = [&](int stage) {
    ExecError report{stage, errno};
    (void)!::write(error_pipe, &report, sizeof report);
    ::_exit(127);
  };
  ::setpgid(0, 0);
  // Dies with the worker, even when the worker is SIGKILLed; if the worker
  // already went before prctl ran, getppid tells.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);

  // The worker blocks and ignores signals for its own reasons (SIGPIPE,
  // SIGTERM on a signal thread); the app starts clean.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Waking for a request, the app does not preempt the worker that sent it
  // (docs/configuration.md#batchscheduling); every thread it makes inherits
  // the policy. Only from the default policy: one an operator chose for the
  // host (real-time, idle) stays. A refusal (a seccomp filter) leaves it too.
  if (batch_scheduling && ::sched_getscheduler(0) == SCHED_OTHER) {
    sched_param priority{};
    ::sched_setscheduler(0, SCHED_BATCH, &priority);
  }

  if (::dup2(input, STDIN_FILENO) < 0 || ::dup2(output, STDOUT_FILENO) < 0 ||
      ::dup2(output, STDERR_FILENO) < 0) {
    fail(kRedirect);
  }
  // The worker's listening sockets and other descriptors stay out of the app.
  ::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC);
  if (::chdir(working_directory) != 0) fail(kChdir);
  ::execve(executable, argv, envp);
  fail(kExec);
  ::_exit(127);  // not reached
}

common::PageFailure failure(const SpawnSpec& spec, const std::string& why) {
  return process_not_started(spec.shown_path, why);
}

// Everything the child needs after fork, built before it: a forked child of a
// multi-threaded process must not allocate. Pointers into its own strings, so
// it stays where it was made.
struct ExecImage {
  explicit ExecImage(const SpawnSpec& spec)
      : env_strings(spec.environment), working_directory(spec.working_directory.string()) {
    argv_strings.push_back(spec.executable.string());
    argv_strings.insert(argv_strings.end(), spec.arguments.begin(), spec.arguments.end());
    argv = common::exec_strings(argv_strings);
    envp = common::exec_strings(env_strings);
  }
  ExecImage(const ExecImage&) = delete;
  ExecImage& operator=(const ExecImage&) = delete;

  std::vector<std::string> argv_strings;
  std::vector<std::string> env_strings;
  std::string working_directory;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

// The child's standard streams: stdin from /dev/null; stdout and stderr into
// a pipe the manager reads (or /dev/null without console redirection); and
// the exec-error pipe, closed by a successful exec.
struct ChildStreams {
  common::UniqueFd input;
  common::UniqueFd read_end;   // the manager's side of the output pipe
  common::UniqueFd write_end;  // the child's stdout and stderr
  common::UniqueFd error_read;
  common::UniqueFd error_write;
};

common::Result<ChildStreams> open_streams(bool redirect_output) {
  ChildStreams streams;
  streams.input.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (redirect_output) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return common::fail("pipe: " + errno_text(errno));
    streams.read_end.reset(fds[0]);
    streams.write_end.reset(fds[1]);
  } else {
    streams.write_end.reset(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  }
  int error_fds[2];
  if (!streams.input || !streams.write_end || ::pipe2(error_fds, O_CLOEXEC) != 0) {
    return common::fail("cannot prepare its standard streams: " + errno_text(errno));
  }
  streams.error_read.reset(error_fds[0]);
  streams.error_write.reset(error_fds[1]);
  return streams;
}

// What the child reported before it could exec, or nothing when it did
// (the pipe closed on exec).
std::optional<ExecError> read_exec_error(int error_read) {
  ExecError report{};
  ssize_t got;
  do {
    got = ::read(error_read, &report, sizeof report);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof report)) return report;
  return std::nullopt;
}

}  // namespace

std::string describe_exit(int code, int status) {
  return common::describe_process_end(code == CLD_EXITED, status);
}

common::Result<std::shared_ptr<SpawnedChild>, common::PageFailure> SpawnedChild::spawn(
    SpawnSpec spec) {
  ExecImage image(spec);
  auto opened = open_streams(spec.redirect_output);
  if (!opened.ok()) return common::fail(failure(spec, opened.error()));
  ChildStreams& streams = opened.value();

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return common::fail(failure(spec, "fork: " + errno_text(errno)));
  if (pid == 0) {
    become_program(parent, image.argv_strings[0].c_str(), image.argv.data(), image.envp.data(),
                   image.working_directory.c_str(), streams.input.get(), streams.write_end.get(),
                   streams.error_write.get(), spec.batch_scheduling);
  }
  // Also from this side, so that the group exists before anyone signals it.
  ::setpgid(pid, pid);
  streams.error_write.reset();
  streams.write_end.reset();

  if (auto report = read_exec_error(streams.error_read.get())) {
    ::waitpid(pid, nullptr, 0);
    return common::fail(
        failure(spec, std::string(stage_text(report->stage)) + " (" +
                          (report->stage == kChdir ? image.working_directory + ": " : "") +
                          errno_text(report->error) + ")"));
  }
  common::UniqueFd pidfd(open_pidfd(pid));
  if (!pidfd) {
    int error = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return common::fail(failure(spec, "pidfd_open: " + errno_text(error)));
  }
  common::UniqueFd& output = streams.read_end;
  if (output) ::fcntl(output.get(), F_SETFL, ::fcntl(output.get(), F_GETFL) | O_NONBLOCK);
  return std::make_shared<SpawnedChild>(Key{}, pid, std::move(pidfd), std::move(output),
                                        std::move(spec));
}

SpawnedChild::SpawnedChild(Key, pid_t pid, common::UniqueFd pidfd, common::UniqueFd output,
                           SpawnSpec spec)
    : pid_(pid),
      pidfd_(std::move(pidfd)),
      output_(std::move(output)),
      port_(spec.port),
      token_(std::move(spec.token)),
      shown_path_(std::move(spec.shown_path)) {}

SpawnedChild::~SpawnedChild() {
  if (!reaped_) {
    signal_group(SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void SpawnedChild::drain_output() {
  if (output_ && !capture_.drain(output_.get())) output_.reset();
}

void SpawnedChild::signal_group(int signal) {
  if (!reaped_) ::kill(-pid_, signal);
}

std::string SpawnedChild::reap() {
  // Descendants go with it, as with a Windows job object. The child stays
  // unreaped until they are gone so that its id names only this group.
  signal_group(SIGKILL);
  if (!wait_for_group_to_empty(pid_, pid_, kGroupExitLimit)) {
    group_left_behind_ = true;
  }
  siginfo_t info{};
  int result;
  do {
    result = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED);
  } while (result < 0 && errno == EINTR);
  reaped_ = true;
  running_ = false;
  drain_output();
  if (result < 0) return "ended (its status could not be read: " + errno_text(errno) + ")";
  return describe_exit(info.si_code, info.si_status);
}

}  // namespace ancm::outofproc
