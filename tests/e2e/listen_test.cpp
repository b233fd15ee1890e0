// Kestrel's listen addresses, through a real ancm-host and the test handler:
// * and + (every address), [::] (dual stack), localhost (both loopbacks on
// one port), --urls with ASPNETCORE_URLS's ';'-separated list, and unix:
// sockets (HTTP/1.1, h2c and TLS with curl --unix-socket, the socket file's
// mode, stale and live files, removal at exit, a recycle on the same socket).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <regex>

#include "ancm/server/listen_address.h"
#include "ancm/server/master.h"
#include "ancm/server/unix_listener.h"
#include "command_output.h"
#include "host_process.h"
#include "http_client.h"
#include "temp_dir.h"
#include "test_certificates.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

class ListenTest : public ::testing::Test {
 protected:
  // A host that may refuse to start (its output says why).
  std::unique_ptr<HostProcess> launch(const std::string& listen,
                                      std::vector<std::string> extra_args = {}) {
    write_file(app_ / "web.config", WebConfig{}.text());
    HostOptions options;
    options.target = app_.path();
    options.listen = listen;
    options.extra_args = std::move(extra_args);
    options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
    return std::make_unique<HostProcess>(options);
  }

  std::unique_ptr<HostProcess> start(const std::string& listen,
                                     std::vector<std::string> extra_args = {}) {
    auto host = launch(listen, std::move(extra_args));
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  // The "listening on" URLs the master printed, in order.
  static std::vector<std::string> listening_urls(const HostProcess& host) {
    std::vector<std::string> urls;
    auto output = host.output();
    std::regex line(std::string(server::kListeningOn) + "(\\S+)");
    for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) {
      urls.push_back((*it)[1]);
    }
    return urls;
  }

  // GET / over address (numeric IPv4 or IPv6) answers.
  static bool answers(const std::string& address, uint16_t port) {
    HttpConnection connection(port, address);
    if (!connection.connected()) return false;
    connection.send(get_request("/"));
    auto response = connection.read_response();
    return response && response->status == 200;
  }

  TempDir app_{"ancm-listen"};
};

class EveryAddress : public ListenTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(EveryAddress, IsOneDualStackSocket) {
  auto host = start("http://" + GetParam() + ":0");
  auto urls = listening_urls(*host);
  ASSERT_EQ(urls.size(), 1u) << host->output();
  EXPECT_EQ(urls[0], "http://[::]:" + std::to_string(host->port()));
  EXPECT_TRUE(answers("127.0.0.1", host->port())) << host->output();
  EXPECT_TRUE(answers("::1", host->port())) << host->output();
}

INSTANTIATE_TEST_SUITE_P(KestrelForms, EveryAddress,
                         ::testing::Values("*", "+", "[::]", "any-host-name.example"));

TEST_F(ListenTest, LocalhostIsBothLoopbacksOnOnePort) {
  auto host = start("http://LocalHost:0");
  std::string port = std::to_string(host->port());
  EXPECT_EQ(listening_urls(*host),
            (std::vector<std::string>{"http://127.0.0.1:" + port, "http://[::1]:" + port}))
      << host->output();
  EXPECT_TRUE(answers("127.0.0.1", host->port())) << host->output();
  EXPECT_TRUE(answers("::1", host->port())) << host->output();
}

TEST_F(ListenTest, UrlsTakesASemicolonSeparatedList) {
  auto host = start("", {"--urls", "http://127.0.0.1:0; http://[::1]:0"});
  auto urls = listening_urls(*host);
  ASSERT_EQ(urls.size(), 2u) << host->output();
  std::smatch v4, v6;
  ASSERT_TRUE(std::regex_match(urls[0], v4, std::regex("http://127\\.0\\.0\\.1:([0-9]+)")));
  ASSERT_TRUE(std::regex_match(urls[1], v6, std::regex("http://\\[::1\\]:([0-9]+)")));
  EXPECT_TRUE(answers("127.0.0.1", static_cast<uint16_t>(std::stoi(v4[1])))) << host->output();
  EXPECT_TRUE(answers("::1", static_cast<uint16_t>(std::stoi(v6[1])))) << host->output();
  // Only IPv6 on the second: it is not the dual-stack [::].
  EXPECT_FALSE(answers("127.0.0.1", static_cast<uint16_t>(std::stoi(v6[1]))));
}

// ------------------------------------------------------------ unix: sockets

mode_t mode_of(const std::filesystem::path& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) return 0;
  return status.st_mode & 07777;
}

ino_t inode_of(const std::filesystem::path& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 ? status.st_ino : 0;
}

// A socket file as a server that died leaves it: bound, never listened on.
void leave_stale_socket(const std::filesystem::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
}

class UnixSocketTest : public ListenTest {
 protected:
  // The host's exit status once it stopped by itself (it refused to start).
  static int exit_code(HostProcess& host) {
    auto status = host.wait_exit(20s);
    return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }

  TempDir sockets_{"ancm-unix"};
  std::filesystem::path socket_ = sockets_ / "app.sock";
};

TEST_F(UnixSocketTest, ServesHttp11AndH2cOnTheSocketFile) {
  auto host = start("http://unix:" + socket_.string());
  ASSERT_TRUE(host->started()) << host->output();
  EXPECT_NE(
      host->output().find(std::string(server::kListeningOn) + "http://unix:" + socket_.string()),
      std::string::npos)
      << host->output();
  EXPECT_TRUE(std::filesystem::is_socket(socket_));
  EXPECT_EQ(mode_of(socket_), 0660u);  // the default: owner and group
  auto http1 = curl_unix_socket(socket_, "http://localhost/");
  EXPECT_NE(http1.find("|200|1.1"), std::string::npos) << http1 << host->output();
  auto h2c = curl_unix_socket(socket_, "http://localhost/", "--http2-prior-knowledge");
  EXPECT_NE(h2c.find("|200|2"), std::string::npos) << h2c << host->output();
}

TEST_F(UnixSocketTest, NginxsFormAndTheModeFlag) {
  auto host = start("unix:" + socket_.string(), {"--unix-socket-mode", "0600"});
  ASSERT_TRUE(host->started()) << host->output();
  EXPECT_EQ(mode_of(socket_), 0600u);
  EXPECT_NE(curl_unix_socket(socket_, "http://localhost/").find("|200|"), std::string::npos);
}

// The handler sees no IP and port 0 for the peer, as Kestrel reports a
// Unix domain socket's client, whatever the protocol.
TEST_F(UnixSocketTest, ThePeerHasNoAddress) {
  auto host = start("http://unix:" + socket_.string());
  ASSERT_TRUE(host->started()) << host->output();
  auto http1 = curl_unix_socket(socket_, "http://localhost/request");
  EXPECT_NE(http1.find("remote=:0\n"), std::string::npos) << http1;
  auto h2c = curl_unix_socket(socket_, "http://localhost/request", "--http2-prior-knowledge");
  EXPECT_NE(h2c.find("remote=:0\n"), std::string::npos) << h2c;
}

TEST_F(UnixSocketTest, ServesTlsOverTheSocket) {
  TestCertificates certificates;
  auto certificate = certificates.issue("unix.example.test", {"unix.example.test"});
  auto host = start("https://unix:" + socket_.string(), certificate.server_args());
  ASSERT_TRUE(host->started()) << host->output();
  EXPECT_NE(host->output().find("https://unix:" + socket_.string()), std::string::npos);
  auto tls_options = "--cacert " + certificates.ca_file().string();
  auto http1 = curl_unix_socket(socket_, "https://unix.example.test/", tls_options + " --http1.1");
  EXPECT_NE(http1.find("|200|1.1"), std::string::npos) << http1 << host->output();
  auto h2 = curl_unix_socket(socket_, "https://unix.example.test/", tls_options + " --http2");
  EXPECT_NE(h2.find("|200|2"), std::string::npos) << h2 << host->output();
}

TEST_F(UnixSocketTest, AStaleSocketFileIsReplaced) {
  leave_stale_socket(socket_);
  ASSERT_TRUE(std::filesystem::is_socket(socket_));
  auto host = start("http://unix:" + socket_.string());
  ASSERT_TRUE(host->started()) << host->output();
  EXPECT_NE(host->output().find(std::string(server::kRemovedStaleSocket) + " " + socket_.string()),
            std::string::npos)
      << host->output();
  EXPECT_NE(curl_unix_socket(socket_, "http://localhost/").find("|200|"), std::string::npos);
}

// Another ancm-host on the path is refused by the lock file the first holds
// (unix_listener_test covers a live server of another program).
TEST_F(UnixSocketTest, ALiveServersSocketIsRefused) {
  auto first = start("http://unix:" + socket_.string());
  ASSERT_TRUE(first->started()) << first->output();
  auto second = launch("http://unix:" + socket_.string());
  EXPECT_EQ(exit_code(*second), 1) << second->output();
  EXPECT_NE(second->output().find(std::string(server::kCannotBind) + " unix:" + socket_.string() +
                                  ": " + std::string(server::kAnotherServerHoldsTheLock)),
            std::string::npos)
      << second->output();
  // The first server's file is left alone and still answers.
  EXPECT_NE(curl_unix_socket(socket_, "http://localhost/").find("|200|"), std::string::npos);
}

TEST_F(UnixSocketTest, ARegularFileIsRefusedAndKept) {
  write_file(socket_, "not a socket");
  auto host = launch("http://unix:" + socket_.string());
  EXPECT_EQ(exit_code(*host), 1) << host->output();
  EXPECT_NE(host->output().find(std::string(server::kNotASocket)), std::string::npos)
      << host->output();
  EXPECT_NE(host->output().find(socket_.string()), std::string::npos) << host->output();
  EXPECT_EQ(read_file(socket_), "not a socket");
}

TEST_F(UnixSocketTest, ARelativePathIsRefused) {
  auto host = launch("http://unix:app.sock");
  EXPECT_EQ(exit_code(*host), 1) << host->output();
  EXPECT_NE(host->output().find("must be absolute"), std::string::npos) << host->output();
}

TEST_F(UnixSocketTest, TheFileIsRemovedWhenTheHostExits) {
  auto host = start("http://unix:" + socket_.string());
  ASSERT_TRUE(host->started()) << host->output();
  ASSERT_TRUE(std::filesystem::exists(socket_));
  host->signal(SIGTERM);
  auto status = host->wait_exit(30s);
  ASSERT_TRUE(status) << host->output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << host->output();
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

// SIGHUP: a new worker on the same socket (the same file, never bound again)
// serves new connections, and a request in flight in the old one finishes.
TEST_F(UnixSocketTest, ARecycleKeepsServingOnTheSameSocket) {
  auto host = start("http://unix:" + socket_.string());
  ASSERT_TRUE(host->started()) << host->output();
  auto inode = inode_of(socket_);
  ASSERT_NE(curl_unix_socket(socket_, "http://localhost/").find("|200|"), std::string::npos);
  HttpConnection in_flight(UnixSocket{socket_});
  ASSERT_TRUE(in_flight.connected());
  in_flight.send(get_request("/slow?ms=3000", "Connection: close\r\n"));
  host->signal(SIGHUP);
  ASSERT_TRUE(host->wait_for_output(server::recycled_because("SIGHUP"), 30s)) << host->output();
  EXPECT_NE(curl_unix_socket(socket_, "http://localhost/").find("|200|"), std::string::npos)
      << host->output();
  auto response = in_flight.read_response(30s);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow done\n");
  EXPECT_EQ(inode_of(socket_), inode);
}

}  // namespace
}  // namespace ancm::test
