// Large bodies of known length (Content-Length) through the out-of-process
// proxy arrive byte for byte on every transport. Over a cleartext socket
// (TCP or Unix) a response's bytes are spliced child socket → pipe → client
// socket (outofproc/src/proxy_direct_body.cpp, the server's
// write_body_from_pipe), and an upload's client socket → pipe → child socket
// (outofproc/src/proxy_piped_upload.cpp, the server's read_body_to_pipe);
// over TLS they go in pieces through user space. A child that cuts its
// response short and a client that leaves mid-body end only their own
// connection; the next body is whole.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ancm/common/unique_fd.h"
#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "temp_dir.h"
#include "test_certificates.h"
#include "tls_client.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kPatience = 60s;

// What GET /bytes?n=N sends (tests/apps/EchoBody): byte i is
// (i * 7 + i / 4096) % 251.
std::string expected_bytes(std::size_t n) {
  std::string bytes(n, '\0');
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((i * 7 + i / 4096) % 251);
  return bytes;
}

// Where two bodies first differ, for a failure message.
std::string first_difference(const std::string& got, const std::string& want) {
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "got " + std::to_string(got.size()) + " bytes, want " + std::to_string(want.size()) +
         "; first difference at byte " + std::to_string(i);
}

std::string bytes_request(std::size_t n, const std::string& extra = "") {
  return get_request("/bytes?n=" + std::to_string(n) + extra);
}

// A body larger than a pipe piece and one smaller, on one connection (any
// client with send and read_response), arrive byte for byte.
template <class Connection>
void expect_bodies_arrive_whole(Connection& connection, const HostProcess& host) {
  for (std::size_t n : {2 * 1024 * 1024 + 3, 200'000}) {
    connection.send(bytes_request(n));
    auto response = connection.read_response(kPatience);
    ASSERT_TRUE(response) << host.output();
    auto want = expected_bytes(n);
    EXPECT_TRUE(response->body == want) << first_difference(response->body, want);
  }
}

// The pipes the process holds both ends of, as a relay pipe is held (the
// pipes to a child's output and the like have their other end in the child,
// or only live while it starts): one of its descriptors for each.
std::vector<int> pipes_held_whole(pid_t pid) {
  std::map<std::string, std::vector<int>> ends;
  std::error_code ec;
  auto fds = std::filesystem::path("/proc") / std::to_string(pid) / "fd";
  for (const auto& entry : std::filesystem::directory_iterator(fds, ec)) {
    auto target = std::filesystem::read_symlink(entry.path(), ec);
    if (!ec && target.string().rfind("pipe:", 0) == 0) {
      ends[target.string()].push_back(std::stoi(entry.path().filename().string()));
    }
  }
  std::vector<int> whole;
  for (const auto& [pipe, fds_of_it] : ends) {
    if (fds_of_it.size() >= 2) whole.push_back(fds_of_it.front());
  }
  return whole;
}

// The capacity of the largest pipe the process holds whole, read through a
// copy of its descriptor (pidfd_getfd: the test is the worker's ancestor):
// 0 when none could be read.
std::size_t largest_whole_pipe(pid_t pid) {
  common::UniqueFd process(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!process) return 0;
  std::size_t largest = 0;
  for (int fd : pipes_held_whole(pid)) {
    common::UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, process.get(), fd, 0)));
    int size = copy ? ::fcntl(copy.get(), F_GETPIPE_SZ) : -1;
    if (size > 0) largest = std::max(largest, static_cast<std::size_t>(size));
  }
  return largest;
}

class ProxyLargeBodyTest : public PublishedAppTest {
 protected:
  ProxyLargeBodyTest() : PublishedAppTest("ancm-large-body") {}

  std::unique_ptr<HostProcess> serve_on(const std::string& listen,
                                        std::vector<std::string> extra_args = {}) {
    AspNetCoreEdit edit;
    edit.hosting_model = "outofprocess";
    install_app("EchoBody", dir_.path(), edit);
    HostOptions options;
    options.target = dir_.path();
    options.listen = listen;
    options.extra_args = std::move(extra_args);
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  // Serves on TCP with the child running (its output comes through pipes of
  // its own), and counts the worker's whole pipes while it is idle.
  void serve_and_count_idle_pipes() {
    host_ = serve_on("http://127.0.0.1:0");
    ASSERT_EQ(get(*host_, "/").status, 200) << host_->output();
    worker_ = host_->worker();
    ASSERT_GT(worker_, 0) << host_->output();
    pipes_idle_ = whole_pipes();
    largest_idle_pipe_ = largest_whole_pipe(worker_);
  }
  int whole_pipes() const { return static_cast<int>(pipes_held_whole(worker_).size()); }
  bool holds_a_relay_pipe() const { return whole_pipes() > pipes_idle_; }
  bool holds_no_relay_pipe() const { return whole_pipes() == pipes_idle_; }

  std::unique_ptr<HostProcess> host_;
  pid_t worker_ = 0;
  int pipes_idle_ = 0;
  std::size_t largest_idle_pipe_ = 0;
};

// Large bodies on one connection, one of them written by the app in small
// pieces with pauses (so the proxy waits for the child between splices), then
// a body too small to splice. While the paced body is under way the worker
// holds a pipe (both ends: the relay pipe), and none once it is idle again
// (the pipe's capacity is charged to the user while open).
TEST_F(ProxyLargeBodyTest, BodiesOverCleartextArriveWholeThroughAPipe) {
  ASSERT_NO_FATAL_FAILURE(serve_and_count_idle_pipes());
  auto& host = host_;

  HttpConnection connection(host->port());
  struct Case {
    std::size_t n;
    std::string extra;
  };
  for (const auto& [n, extra] : {Case{3 * 1024 * 1024 + 7, ""}, Case{600'000, "&piece=5000&ms=1"},
                                 Case{1024 * 1024, ""}, Case{5'000, ""}}) {
    connection.send(bytes_request(n, extra));
    auto response = connection.read_response(kPatience);
    ASSERT_TRUE(response) << "n=" << n << extra << "\n" << host->output();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("content-length"), std::to_string(n));
    auto want = expected_bytes(n);
    EXPECT_TRUE(response->body == want)
        << "n=" << n << extra << ": " << first_difference(response->body, want);
    EXPECT_TRUE(response->keep_alive);
  }

  // 2 MiB in 16 KiB pieces 5 ms apart: over half a second under way.
  constexpr std::size_t kPaced = 2 * 1024 * 1024;
  connection.send(bytes_request(kPaced, "&piece=16384&ms=5"));
  auto head = connection.read_until("\r\n\r\n", kPatience);
  ASSERT_NE(head.find(" 200 "), std::string::npos) << head << host->output();
  EXPECT_TRUE(eventually([&] { return holds_a_relay_pipe(); }, 10s))
      << "no relay pipe while a large body was under way: it did not go the spliced way\n"
      << host->output();
  // The first body of an idle worker gets a full-size pipe (relay_pipe.h:
  // 256 KiB while the pipe budget has room), which no idle pipe is.
  EXPECT_EQ(largest_whole_pipe(worker_), 256u * 1024u)
      << "the relay pipe's capacity (0: its descriptor could not be copied)";
  EXPECT_LT(largest_idle_pipe_, 256u * 1024u) << "a pipe of the idle worker's was as large";
  std::string got = head.substr(head.find("\r\n\r\n") + 4);
  while (got.size() < kPaced) {
    auto more = connection.read_raw(2s);
    if (more.empty()) break;
    got += more;
  }
  EXPECT_TRUE(got == expected_bytes(kPaced)) << first_difference(got, expected_bytes(kPaced));
  EXPECT_TRUE(eventually([&] { return holds_no_relay_pipe(); }, 10s))
      << "the relay pipe stayed open after its body";
}

// A POST of body to /echo (tests/apps/EchoBody), sent while the echo is
// read (the app answers as it reads): the echoed body.
std::optional<HttpResponse> echo(HttpConnection& connection, const std::string& body) {
  auto sent = connection.send_in_background("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                                            std::to_string(body.size()) + "\r\n\r\n" + body);
  auto response = connection.read_response(kPatience);
  if (!sent.get()) return std::nullopt;
  return response;
}

// Uploads large and small on one connection come back whole from the app's
// echo. While one comes slowly the worker holds a relay pipe (the echo's
// response is chunked, so it is the upload's), and none once it is idle.
TEST_F(ProxyLargeBodyTest, UploadsOverCleartextArriveWholeThroughAPipe) {
  ASSERT_NO_FATAL_FAILURE(serve_and_count_idle_pipes());
  auto& host = host_;

  HttpConnection connection(host->port());
  for (std::size_t n : {std::size_t{3 * 1024 * 1024 + 7}, std::size_t{100'000}, std::size_t{40'000},
                        std::size_t{5'000}}) {
    auto body = expected_bytes(n);
    auto response = echo(connection, body);
    ASSERT_TRUE(response) << "n=" << n << "\n" << host->output();
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->body == body)
        << "n=" << n << ": " << first_difference(response->body, body);
    EXPECT_TRUE(response->keep_alive);
  }

  // The first 256 KiB of 2 MiB, and the rest only once the pipe was seen.
  constexpr std::size_t kSlow = 2 * 1024 * 1024;
  auto body = expected_bytes(kSlow);
  connection.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(kSlow) +
                  "\r\n\r\n" + body.substr(0, 256 * 1024));
  EXPECT_TRUE(eventually([&] { return holds_a_relay_pipe(); }, 10s))
      << "no relay pipe while a large upload was under way: it did not go the spliced way\n"
      << host->output();
  auto rest = connection.send_in_background(body.substr(256 * 1024));
  auto response = connection.read_response(kPatience);
  ASSERT_TRUE(rest.get());
  ASSERT_TRUE(response) << host->output();
  EXPECT_TRUE(response->body == body) << first_difference(response->body, body);
  EXPECT_TRUE(eventually([&] { return holds_no_relay_pipe(); }, 10s))
      << "the relay pipe stayed open after its upload";
}

// A client that leaves 500 KB into a 4 MiB upload, three times: the pipe
// (with whatever was left in it) and the upstream connection are closed,
// and the next client's upload is whole.
TEST_F(ProxyLargeBodyTest, AClientLeavingMidUploadLeavesNothingForTheNext) {
  auto host = serve_on("http://127.0.0.1:0");
  for (int round = 0; round < 3; ++round) {
    {
      HttpConnection leaving(host->port());
      leaving.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4194304\r\n\r\n" +
                   expected_bytes(500'000));
      std::this_thread::sleep_for(100ms);
    }  // closed with the upload unfinished
    HttpConnection next(host->port());
    auto body = expected_bytes(1024 * 1024 + 11);
    auto response = echo(next, body);
    ASSERT_TRUE(response) << host->output();
    EXPECT_TRUE(response->body == body)
        << "round " << round << ": " << first_difference(response->body, body);
  }
}

TEST_F(ProxyLargeBodyTest, BodiesOverAUnixSocketArriveWhole) {
  TempDir sockets("ancm-large-unix");
  auto socket = sockets / "app.sock";
  auto host = serve_on("http://unix:" + socket.string());
  HttpConnection connection(UnixSocket{socket.string()});
  ASSERT_TRUE(connection.connected()) << host->output();
  expect_bodies_arrive_whole(connection, *host);
}

// TLS encrypts in user space: the bytes go in pieces, as before pipes.
TEST_F(ProxyLargeBodyTest, BodiesOverTlsArriveWhole) {
  TestCertificates certificates;
  auto certificate = certificates.issue("app.example.test", {"app.example.test"});
  auto host = serve_on("https://127.0.0.1:0", certificate.server_args());
  TlsClientOptions options;
  options.ca_file = certificates.ca_file();
  options.server_name = "app.example.test";
  TlsConnection connection(host->port(), options);
  ASSERT_TRUE(connection.connected()) << connection.error() << host->output();
  expect_bodies_arrive_whole(connection, *host);
}

// The app aborts its connection 1.5 MiB into a 4 MiB body: the client gets
// less than the Content-Length and its connection ends (only closing tells
// it); the host serves the next client whole.
TEST_F(ProxyLargeBodyTest, ABodyTheChildCutsShortEndsTheClientConnection) {
  auto host = serve_on("http://127.0.0.1:0");
  HttpConnection cut(host->port());
  cut.send(bytes_request(4 * 1024 * 1024, "&cutAt=1572864"));
  auto head = cut.read_until("\r\n\r\n", kPatience);
  ASSERT_NE(head.find("200"), std::string::npos) << head << host->output();
  auto rest = cut.read_raw(kPatience);
  EXPECT_TRUE(cut.closed_by_peer(kPatience));
  EXPECT_LT(head.size() + rest.size(), 4u * 1024 * 1024);

  HttpConnection next(host->port());
  next.send(bytes_request(3 * 1024 * 1024));
  auto response = next.read_response(kPatience);
  ASSERT_TRUE(response) << host->output();
  auto want = expected_bytes(3 * 1024 * 1024);
  EXPECT_TRUE(response->body == want) << first_difference(response->body, want);
}

// A client that reads the head and leaves 16 MiB short, three times: its
// piece fails, the pipe (with whatever was left in it) and the upstream
// connection are closed, and the next client's body is whole.
TEST_F(ProxyLargeBodyTest, AClientLeavingMidBodyLeavesNothingForTheNext) {
  auto host = serve_on("http://127.0.0.1:0");
  for (int round = 0; round < 3; ++round) {
    {
      HttpConnection leaving(host->port());
      leaving.send(bytes_request(16 * 1024 * 1024));
      auto head = leaving.read_until("\r\n\r\n", kPatience);
      ASSERT_NE(head.find("200"), std::string::npos) << head << host->output();
    }  // closed with the body unread
    HttpConnection next(host->port());
    next.send(bytes_request(1024 * 1024 + 11));
    auto response = next.read_response(kPatience);
    ASSERT_TRUE(response) << host->output();
    auto want = expected_bytes(1024 * 1024 + 11);
    EXPECT_TRUE(response->body == want)
        << "round " << round << ": " << first_difference(response->body, want);
  }
}

}  // namespace
}  // namespace ancm::test
