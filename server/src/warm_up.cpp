#include "warm_up.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

#include "ancm/common/http_syntax.h"
#include "ancm/common/unique_fd.h"
#include "connection_starter.h"

namespace ancm::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// Runs the loop on a thread of its own while the worker's thread waits for
// the answer; when dropped, stops it and leaves it ready to run again, with
// whatever is still queued (a request that outlived the timeout) kept.
class LoopThread {
 public:
  explicit LoopThread(asio::io_context& io)
      : io_(io), work_(asio::make_work_guard(io)), thread_([&io] { io.run(); }) {}
  ~LoopThread() {
    work_.reset();
    io_.stop();
    thread_.join();
    io_.restart();
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

 private:
  asio::io_context& io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::jthread thread_;
};

struct Answer {
  enum class Kind { Answered, TimedOut, Broken };
  Kind kind = Kind::Broken;
  int status = 0;   // Answered
  std::string why;  // Broken
};

Answer timed_out() { return {Answer::Kind::TimedOut, 0, ""}; }
Answer broken(std::string why) { return {Answer::Kind::Broken, 0, std::move(why)}; }

// Waits for `events` on fd until the deadline: false when it passed.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // the read or write says why
  }
}

// "HTTP/1.1 200 OK" -> 200.
std::optional<int> status_of(std::string_view head) {
  if (!head.starts_with("HTTP/1.") || head.size() < 12 || head[8] != ' ') return std::nullopt;
  std::string_view code = head.substr(9, 3);
  if (!common::all_digits(code)) return std::nullopt;
  return (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
}

// Writes the request and reads the answer to its end (Connection: close):
// the app's work for the page is done when the response is.
Answer exchange(int fd, const std::string& page, Clock::time_point deadline) {
  std::string request = "GET " + page + " HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " +
                        std::string(kWarmUpUserAgent) + "\r\nConnection: close\r\n\r\n";
  std::string_view left = request;
  while (!left.empty()) {
    if (!wait_for(fd, POLLOUT, deadline)) return timed_out();
    ssize_t sent = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (sent < 0) return broken(std::string("cannot send it: ") + std::strerror(errno));
    left.remove_prefix(static_cast<std::size_t>(sent));
  }
  std::string head;  // the status line's first bytes; the rest is read and dropped
  char buffer[16 * 1024];
  while (true) {
    if (!wait_for(fd, POLLIN, deadline)) return timed_out();
    ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) return broken(std::string("the answer broke off: ") + std::strerror(errno));
    if (got == 0) break;
    if (head.size() < 16) head.append(buffer, std::min<std::size_t>(16 - head.size(), got));
  }
  if (head.empty()) return broken("the connection closed without an answer");
  if (auto status = status_of(head)) return {Answer::Kind::Answered, *status, ""};
  return broken("the answer was not HTTP/1.1");
}

// The server's end, served as an accepted client is.
bool serve(asio::io_context& io, const ConnectionContext& context, common::UniqueFd server_end) {
  boost::system::error_code ec;
  ClientStream::Socket socket(io);
  socket.assign(asio::generic::stream_protocol(AF_UNIX, 0), server_end.get(), ec);
  if (ec) {
    spdlog::warn("{}: cannot serve it: {}{}", kInitializationPage, ec.message(), kServingAnyway);
    return false;
  }
  server_end.release();  // the socket owns it now
  start_connection(io, std::move(socket), context);
  return true;
}

}  // namespace

void warm_up(asio::io_context& io, const ConnectionContext& context, const shim::Shim::WarmUp& plan,
             shim::Shim::Preload preloaded) {
  if (plan.page.empty()) return;
  std::string what = std::string(kInitializationPage) + " " + plan.page;
  if (preloaded != shim::Shim::Preload::Started) {
    spdlog::warn("{} not requested: the application is not running", what);
    return;
  }
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    spdlog::warn("{}: socketpair: {}{}", what, std::strerror(errno), kServingAnyway);
    return;
  }
  common::UniqueFd client(ends[0]);
  common::UniqueFd server_end(ends[1]);

  auto started = Clock::now();
  Answer answer;
  {
    LoopThread loop(io);
    if (!serve(io, context, std::move(server_end))) return;
    answer = exchange(client.get(), plan.page, started + plan.timeout);
    client.reset();  // a request still running sees its client gone
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  switch (answer.kind) {
    case Answer::Kind::TimedOut:
      return spdlog::warn("{}: no answer within {} ms{}", what, plan.timeout.count(),
                          kServingAnyway);
    case Answer::Kind::Broken:
      return spdlog::warn("{}: {} after {} ms{}", what, answer.why, took.count(), kServingAnyway);
    case Answer::Kind::Answered:
      break;
  }
  if (answer.status >= 200 && answer.status < 300) {
    spdlog::info("{}{}{} in {} ms", what, kAnswered, answer.status, took.count());
  } else {
    spdlog::warn("{}{}{} in {} ms{}", what, kAnswered, answer.status, took.count(), kServingAnyway);
  }
}

}  // namespace ancm::server
