#include "kestrel_direct.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "free_port.h"
#include "host_process.h"
#include "http_client.h"

namespace ancm::test {

KestrelDirect::KestrelDirect(const std::filesystem::path& folder, const std::string& app,
                             const std::map<std::string, std::string>& env)
    : port_(free_tcp_port()) {
  const std::string url = "http://127.0.0.1:" + std::to_string(port_);
  const std::string dll = app + ".dll";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork for dotnet " + dll + " failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    if (::chdir(folder.c_str()) != 0) ::_exit(126);
    ::setenv("ASPNETCORE_URLS", url.c_str(), 1);
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execlp("dotnet", "dotnet", dll.c_str(), nullptr);
    ::_exit(127);
  }
  // Also here, so the group exists before the destructor may signal it.
  ::setpgid(pid_, pid_);
}

KestrelDirect::~KestrelDirect() {
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

bool KestrelDirect::wait_until_serving(const std::string& target,
                                       std::chrono::milliseconds timeout) const {
  return eventually([&] { return http_get(port_, target).has_value(); }, timeout);
}

}  // namespace ancm::test
