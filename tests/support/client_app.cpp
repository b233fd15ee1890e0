#include "client_app.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <stdexcept>

#include "published_app.h"

namespace ancm::test {
namespace {

struct Child {
  pid_t pid = -1;
  int output = -1;  // read end of its stdout/stderr
};

Child spawn(const std::vector<std::string>& argv) {
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0)
    throw std::runtime_error("pipe for " + argv.at(1) + " failed");
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork for " + argv.at(1) + " failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  ::close(pipe_fds[1]);
  return {pid, pipe_fds[0]};
}

// Reads until EOF or the deadline; false at the deadline.
bool read_all(int fd, std::string& out, std::chrono::steady_clock::time_point deadline) {
  std::array<char, 4096> buffer{};
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    auto n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
    out.append(buffer.data(), static_cast<size_t>(n));
  }
}

}  // namespace

ClientAppRun run_client_app(const std::string& app, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"dotnet", (published_app(app) / (app + ".dll")).string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = spawn(argv);
  ClientAppRun run;
  bool ended = read_all(child.output, run.output, std::chrono::steady_clock::now() + timeout);
  ::close(child.output);
  if (!ended) {
    ::kill(-child.pid, SIGKILL);
    run.output += "\n<killed: no end within the timeout>";
  }
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  if (ended && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  return run;
}

}  // namespace ancm::test
