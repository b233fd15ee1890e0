#include "worker_spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "ancm/common/exec_strings.h"
#include "ancm/server/command_line.h"
#include "control_channel.h"

namespace ancm::server {
namespace {

// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void exec_worker(pid_t parent, const std::vector<int>& inherited, char** argv) {
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // The worker (and so its children) goes when the master goes, even on SIGKILL.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(1);
  for (int fd : inherited) ::fcntl(fd, F_SETFD, 0);
  ::execv(argv[0], argv);
  ::_exit(127);
}

}  // namespace

SpawnedWorker spawn_worker(const std::string& executable, WorkerOptions options) {
  auto [master_end, worker_end] = make_control_pair();
  options.control_fd = worker_end.get();

  std::vector<std::string> args = {executable, "worker"};
  for (auto& arg : worker_arguments(options)) args.push_back(std::move(arg));
  auto argv = common::exec_strings(args);
  std::vector<int> inherited = options.listen_fds;
  inherited.insert(inherited.end(), options.tls_listen_fds.begin(), options.tls_listen_fds.end());
  inherited.insert(inherited.end(), options.admin_listen_fds.begin(),
                   options.admin_listen_fds.end());
  inherited.push_back(worker_end.get());

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) exec_worker(parent, inherited, argv.data());
  return {pid, std::move(master_end)};
}

}  // namespace ancm::server
