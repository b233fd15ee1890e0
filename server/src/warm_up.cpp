#include "warm_up.h"

#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "ancm/common/http_syntax.h"
#include "ancm/common/result.h"
#include "ancm/common/unique_fd.h"
#include "connection_starter.h"

namespace ancm::server {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Runs `client` on a thread of its own while this thread runs the loop, as
// it will for clients after the warm-up: so the thread that serves the first
// client has run the request path once (in process, a thread's first call
// into .NET sets it up, a few ms). Stops the loop when `client` returns and
// leaves it ready to run again, with whatever is still queued (a request
// that outlived the timeout) kept.
template <class Client>
void run_loop_while(asio::io_context& io, Client client) {
  auto work = asio::make_work_guard(io);
  std::jthread thread([&] {
    client();
    work.reset();
    io.stop();
  });
  io.run();
  thread.join();
  io.restart();
}

struct Answer {
  enum class Kind { Answered, TimedOut, Broken };
  Kind kind = Kind::Broken;
  int status = 0;   // Answered
  std::string why;  // Broken
  Clock::duration took{};

  bool succeeded() const { return kind == Kind::Answered && status >= 200 && status < 300; }
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

// The two ends of the warm-up connection. TCP over loopback, through a
// listener of its own (bound to an ephemeral port and closed at once, never
// the shared listening sockets), so the app sees a request from 127.0.0.1
// as IIS's warm-up comes from localhost, and the code a client's TCP
// request runs (its address, X-Forwarded-For out of process) is warmed too.
// A socketpair when loopback TCP is not available.
struct Ends {
  common::UniqueFd client;
  common::UniqueFd server;
  int family = AF_UNIX;
};

std::optional<Ends> loopback_ends() {
  common::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  if (!listener || ::bind(listener.get(), raw, sizeof address) != 0 ||
      ::listen(listener.get(), 1) != 0 || ::getsockname(listener.get(), raw, &length) != 0) {
    return std::nullopt;
  }
  Ends ends;
  ends.family = AF_INET;
  ends.client.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  // Completes at once: the kernel's backlog accepts for the listener.
  if (!ends.client || ::connect(ends.client.get(), raw, sizeof address) != 0) return std::nullopt;
  ends.server.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!ends.server) return std::nullopt;
  // Another local process could have raced into the port first: the
  // accepted peer must be this client.
  sockaddr_in mine{}, peer{};
  socklen_t mine_length = sizeof mine, peer_length = sizeof peer;
  if (::getsockname(ends.client.get(), reinterpret_cast<sockaddr*>(&mine), &mine_length) != 0 ||
      ::getpeername(ends.server.get(), reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0 ||
      mine.sin_port != peer.sin_port) {
    return std::nullopt;
  }
  return ends;
}

common::Result<Ends> connected_ends() {
  if (auto tcp = loopback_ends()) return std::move(*tcp);
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return common::fail(std::string("socketpair: ") + std::strerror(errno));
  }
  return Ends{common::UniqueFd(pair[0]), common::UniqueFd(pair[1]), AF_UNIX};
}

// The server's end, served as an accepted client is.
common::Result<void> serve(asio::io_context& io, const ConnectionContext& context, Ends& ends) {
  boost::system::error_code ec;
  ClientStream::Socket socket(io);
  asio::generic::stream_protocol protocol =
      ends.family == AF_INET ? asio::generic::stream_protocol(AF_INET, IPPROTO_TCP)
                             : asio::generic::stream_protocol(AF_UNIX, 0);
  socket.assign(protocol, ends.server.get(), ec);
  if (ec) return common::fail("cannot serve it: " + ec.message());
  ends.server.release();  // the socket owns it now
  start_connection(io, std::move(socket), context);
  return {};
}

// One request for the page on a connection of its own, while `io` runs.
Answer request_page(asio::io_context& io, const ConnectionContext& context, const std::string& page,
                    Clock::time_point deadline) {
  auto started = Clock::now();
  Answer answer;
  if (auto ends = connected_ends(); !ends.ok()) {
    answer = broken(ends.error());
  } else if (auto served = serve(io, context, ends.value()); !served.ok()) {
    answer = broken(served.error());
  } else {
    answer = exchange(ends.value().client.get(), page, deadline);
    ends.value().client.reset();  // a request still running sees its client gone
  }
  answer.took = Clock::now() - started;
  return answer;
}

// A repeat is worth it while the page still gets clearly faster: the first
// answers pay for code the app and both servers run for the first time, and
// they take a few requests to settle, not one. Under half a millisecond
// apart, two answers differ by noise.
bool settled(Clock::duration before, Clock::duration now) {
  return now * 4 >= before * 3 || before - now < 500us;
}

// "41", or "0.4" under 10 ms, where whole milliseconds would say nothing.
std::string milliseconds(Clock::duration took) {
  auto tenths = std::chrono::duration_cast<std::chrono::microseconds>(took).count() / 100;
  if (tenths >= 100) return std::to_string(tenths / 10);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

// One line for the whole warm-up: the first answer, as IIS would log it,
// then what the repeats took, or why one of them failed.
void report(const std::string& what, const Answer& first, const std::vector<Answer>& repeats,
            std::chrono::milliseconds timeout) {
  switch (first.kind) {
    case Answer::Kind::TimedOut:
      return spdlog::warn("{}: no answer within {} ms{}", what, timeout.count(), kServingAnyway);
    case Answer::Kind::Broken:
      return spdlog::warn("{}: {} after {} ms{}", what, first.why, milliseconds(first.took),
                          kServingAnyway);
    case Answer::Kind::Answered:
      break;
  }
  if (!first.succeeded()) {
    return spdlog::warn("{}{}{} in {} ms{}", what, kAnswered, first.status,
                        milliseconds(first.took), kServingAnyway);
  }
  std::string times;
  for (const Answer& repeat : repeats) {
    if (!repeat.succeeded()) break;
    times += (times.empty() ? "" : ", ") + milliseconds(repeat.took) + " ms";
  }
  std::string again = times.empty() ? "" : "; again until it settled: " + times;
  if (repeats.empty() || repeats.back().succeeded()) {
    return spdlog::info("{}{}{} in {} ms{}", what, kAnswered, first.status,
                        milliseconds(first.took), again);
  }
  const Answer& failed = repeats.back();
  std::string why = failed.kind == Answer::Kind::Answered
                        ? "answered " + std::to_string(failed.status)
                    : failed.kind == Answer::Kind::TimedOut ? "no answer in time"
                                                            : failed.why;
  spdlog::warn("{}{}{} in {} ms{}; a repeat: {}{}", what, kAnswered, first.status,
               milliseconds(first.took), again, why, kServingAnyway);
}

}  // namespace

void warm_up(asio::io_context& io, const ConnectionContext& context, const shim::Shim::WarmUp& plan,
             shim::Shim::Preload preloaded, const std::function<bool()>& stopping) {
  if (plan.page.empty()) return;
  std::string what = std::string(kInitializationPage) + " " + plan.page;
  if (preloaded != shim::Shim::Preload::Started) {
    spdlog::warn("{} not requested: the application is not running", what);
    return;
  }

  auto deadline = Clock::now() + plan.timeout;
  Answer first;
  std::vector<Answer> repeats;
  run_loop_while(io, [&] {
    first = request_page(io, context, plan.page, deadline);
    if (!first.succeeded()) return;
    Clock::duration before = first.took;
    while (repeats.size() < kMostInitializationPageRepeats && !stopping()) {
      // A repeat that takes far longer than the one before is not warming;
      // one the start's time limit leaves no room for is not made.
      auto bound = Clock::now() + std::max(2 * before, Clock::duration(1s));
      if (bound > deadline) break;
      const Answer& repeat = repeats.emplace_back(request_page(io, context, plan.page, bound));
      if (!repeat.succeeded() || settled(before, repeat.took)) break;
      before = repeat.took;
    }
  });
  report(what, first, repeats, plan.timeout);
}

}  // namespace ancm::server
