#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "ancm/common/exec_strings.h"
#include "ancm/common/exit_text.h"
#include "ancm/common/read_all.h"
#include "ancm/common/unique_fd.h"
#include "ancm/server/command_line.h"
#include "ancm/server/tls_certificates.h"

extern char** environ;

namespace ancm::server {
namespace {

// posix_spawn's attributes and file actions, destroyed with it.
struct SpawnSetup {
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    ::posix_spawnattr_init(&attributes);
    ::posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

// The master blocks the signals it reads from a signalfd and ignores SIGPIPE;
// the check starts with neither.
void reset_signals(posix_spawnattr_t& attributes) {
  sigset_t none, pipe;
  ::sigemptyset(&none);
  ::sigemptyset(&pipe);
  ::sigaddset(&pipe, SIGPIPE);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setsigdefault(&attributes, &pipe);
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

}  // namespace

common::Result<void> check_certificates_in_child(const std::filesystem::path& ancm_host,
                                                 const std::filesystem::path& target,
                                                 const TlsOptions& options) {
  std::vector<std::string> args = {ancm_host.string(), std::string(kCheckCertificatesCommand)};
  for (auto& arg : certificate_check_arguments(target, options)) args.push_back(std::move(arg));
  auto argv = common::exec_strings(args);

  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) {
    return common::fail(std::string("could not start the certificate check: pipe: ") +
                        std::strerror(errno));
  }
  common::UniqueFd read_end(ends[0]);
  common::UniqueFd write_end(ends[1]);
  SpawnSetup setup;
  reset_signals(setup.attributes);
  // The check prints its error on stdout; dup2 clears close-on-exec.
  ::posix_spawn_file_actions_adddup2(&setup.actions, write_end.get(), STDOUT_FILENO);
  pid_t pid = -1;
  int spawned =
      ::posix_spawn(&pid, argv[0], &setup.actions, &setup.attributes, argv.data(), environ);
  if (spawned != 0) {
    return common::fail("could not start the certificate check (" + ancm_host.string() +
                        "): " + std::strerror(spawned));
  }
  write_end.reset();
  std::string error = common::read_all(read_end.get()).value_or("");
  std::string process = "the certificate check (process " + std::to_string(pid) + ")";
  int status = 0;
  pid_t waited;
  while ((waited = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  // Not a pass: an unreaped check says nothing about the files.
  if (waited != pid) {
    return common::fail("could not wait for " + process + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  while (!error.empty() && error.back() == '\n') error.pop_back();
  if (error.empty()) error = process + " " + common::describe_wait_status(status);
  return common::fail(std::move(error));
}

}  // namespace ancm::server
