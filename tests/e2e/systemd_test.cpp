// Running under systemd: socket activation (LISTEN_FDS) and Type=notify
// readiness, with the real ancm-host and the test handler.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "host_process.h"
#include "http_client.h"
#include "temp_dir.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// Starts ancm-host as systemd does with socket activation: the socket is fd
// 3, LISTEN_PID names the service. Output goes to out.
pid_t start_activated(int listener, const TempDir& app, const std::filesystem::path& out) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(listener, 3);
    ::setenv("LISTEN_FDS", "1", 1);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("ANCM_HANDLER_DIR", handler_dir("test").c_str(), 1);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(ancm_host_binary().c_str(), "ancm-host", "run", app.path().c_str(), nullptr);
    ::_exit(127);
  }
  ::close(listener);
  return pid;
}

void stop_activated(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// A Unix domain socket bound at path; listening unless told otherwise.
int unix_socket(const std::filesystem::path& path, int type = SOCK_STREAM) {
  int fd = ::socket(AF_UNIX, type, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  if (type == SOCK_STREAM) {
    EXPECT_EQ(::listen(fd, 64), 0);
  }
  return fd;
}

TEST(Systemd, ServesOnASocketPassedBySocketActivation) {
  TempDir app("ancm-systemd");
  write_file(app / "web.config", WebConfig{}.text());
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 64), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  uint16_t port = ntohs(address.sin_port);
  auto out = app / "host.out";

  pid_t pid = start_activated(listener, app, out);
  auto response = std::optional<HttpResponse>();
  EXPECT_TRUE(eventually(
      [&] {
        response = http_get(port, "/", "", 30s);
        return response.has_value();
      },
      60s));
  stop_activated(pid);
  ASSERT_TRUE(response) << read_file(out);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(read_file(out).find("listening on http://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << read_file(out);
}

// ListenStream=/run/app.sock: systemd owns the file (ancm-host never removes
// it), the worker serves it like any other listener.
TEST(Systemd, ServesAUnixSocketPassedBySocketActivation) {
  TempDir app("ancm-systemd");
  write_file(app / "web.config", WebConfig{}.text());
  auto path = app / "app.sock";
  auto out = app / "host.out";
  pid_t pid = start_activated(unix_socket(path), app, out);
  auto response = std::optional<HttpResponse>();
  EXPECT_TRUE(eventually(
      [&] {
        HttpConnection connection(UnixSocket{path});
        if (!connection.connected()) return false;
        connection.send(get_request("/", "Connection: close\r\n"));
        response = connection.read_response(30s);
        return response.has_value();
      },
      60s));
  ASSERT_TRUE(response) << read_file(out);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(read_file(out).find("listening on http://unix:" + path.string()), std::string::npos)
      << read_file(out);
  ::kill(pid, SIGTERM);
  EXPECT_TRUE(eventually([&] { return !process_exists(pid); }, 30s)) << read_file(out);
  stop_activated(pid);
  EXPECT_TRUE(std::filesystem::is_socket(path));  // systemd's to remove
}

// ListenDatagram= cannot be served: a clear error, not a worker that spins.
TEST(Systemd, RefusesADatagramSocket) {
  TempDir app("ancm-systemd");
  write_file(app / "web.config", WebConfig{}.text());
  auto out = app / "host.out";
  pid_t pid = start_activated(unix_socket(app / "dgram.sock", SOCK_DGRAM), app, out);
  int status = -1;
  EXPECT_TRUE(eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, 30s));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << read_file(out);
  EXPECT_NE(read_file(out).find("fd 3 is not a stream socket"), std::string::npos)
      << read_file(out);
  if (!WIFEXITED(status)) stop_activated(pid);
}

// A datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  ~NotifySocket() { ::close(fd_); }
  // Messages received until one contains `state` or the time is up.
  bool wait_for(const std::string& state, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd wait{fd_, POLLIN, 0};
      if (::poll(&wait, 1, 100) <= 0) continue;
      char buffer[512];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) received_ += std::string(buffer, static_cast<std::size_t>(n)) + "|";
      if (received_.find(state) != std::string::npos) return true;
    }
    return false;
  }
  const std::string& received() const { return received_; }
  void forget() { received_.clear(); }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::string received_;
};

TEST(Systemd, TellsSystemdWhenReadyReloadingAndStopping) {
  TempDir app("ancm-notify");
  write_file(app / "web.config", WebConfig{}.text());
  NotifySocket notify(app / "notify.sock");
  HostOptions options;
  options.target = app.path();
  options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
  options.env["NOTIFY_SOCKET"] = (app / "notify.sock").string();
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  EXPECT_TRUE(notify.wait_for("READY=1", 10s)) << notify.received();
  EXPECT_NE(notify.received().find("MAINPID=" + std::to_string(host.pid())), std::string::npos)
      << notify.received();
  notify.forget();
  host.signal(SIGHUP);
  EXPECT_TRUE(notify.wait_for("RELOADING=1", 10s)) << notify.received();
  EXPECT_TRUE(notify.wait_for("READY=1", 10s)) << notify.received();
  notify.forget();
  host.signal(SIGTERM);
  EXPECT_TRUE(notify.wait_for("STOPPING=1", 10s)) << notify.received();
  auto status = host.wait_exit(15s);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
}  // namespace ancm::test
