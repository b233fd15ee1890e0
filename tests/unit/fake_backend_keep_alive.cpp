#include "fake_backend_keep_alive.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ancm::test {
namespace {

// Targets with a behaviour of their own; anything else echoes the request.
//   /ignore-body   answers at once, then drains the body (as Kestrel does)
//   /early-hints   sends a 103 before its answer
//   /sized         26 bytes with their Content-Length (HEAD: the length only)
//   /sized-until-told  200,000 bytes with their Content-Length: half, then the
//                  rest once the test creates "<request log>.go"
//   /sized-then-stray  /sized's head, then, once the test creates
//                  "<request log>.go", its body with a stray response behind it
//                  in the same write
//   /not-modified  304 with the Content-Length a 200 would have had
//   /cut-short     announces 100 bytes, sends 10, and closes the connection
//   /close         answers with Connection: close, and closes
//   /until-close   a body framed by the connection's end (no length, not chunked)
//   /head-first    sends its head (chunked) at once, then reads the request
//                  body and sends it back as the response body
//   /answer-mid-head  answers after the request line, before the rest of the
//                  head came, and reads nothing more until the test creates
//                  "<request log>.go"; then the connection closes
constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz";

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t");
  auto end = text.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

std::string to_hex(std::size_t value) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  do {
    hex.insert(hex.begin(), kDigits[value % 16]);
    value /= 16;
  } while (value != 0);
  return hex;
}

struct Request {
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (lower(n) == lower(name)) return v;
    }
    return "";
  }
  bool has_token(const std::string& name, const std::string& token) const {
    std::string list = lower(header(name));
    std::size_t start = 0;
    while (start <= list.size()) {
      auto comma = list.find(',', start);
      if (trim(list.substr(start, comma - start)) == token) return true;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    return false;
  }
};

// How Kestrel (6 and later) reads the body: an upgrade request with a body
// is served as a plain request, and the body is framed as usual.
struct Framing {
  bool chunked = false;
  uint64_t length = 0;
  bool upgrade = false;
};

Framing framing_of(const Request& request) {
  Framing framing;
  framing.chunked = !request.header("Transfer-Encoding").empty();
  std::string length = request.header("Content-Length");
  framing.length = length.empty() ? 0 : std::stoull(length);
  framing.upgrade =
      request.has_token("Connection", "upgrade") && !framing.chunked && framing.length == 0;
  return framing;
}

class RequestLog {
 public:
  explicit RequestLog(const std::string& path) : path_(path), out_(path, std::ios::app) {}
  const std::string& path() const { return path_; }
  void add(int connection, const Request& request) {
    std::lock_guard lock(mutex_);
    out_ << "conn " << connection << ' ' << request.method << ' ' << request.target << std::endl;
  }
  // The proxy closed the connection (or this side did, after a response).
  void closed(int connection) {
    std::lock_guard lock(mutex_);
    out_ << "closed " << connection << std::endl;
  }

 private:
  std::string path_;
  std::mutex mutex_;
  std::ofstream out_;
};

// Until a test creates the file (its way to say "go on"), for at most 30 s.
void wait_for_file(const std::string& path) {
  for (int i = 0; i < 6000 && !std::filesystem::exists(path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

class Connection {
 public:
  Connection(int fd, int number, RequestLog& log) : fd_(fd), number_(number), log_(log) {}
  ~Connection() { ::close(fd_); }

  void serve() {
    while (auto request = read_head()) {
      log_.add(number_, *request);
      if (!answer(*request)) break;
    }
    log_.closed(number_);
  }

 private:
  bool answer(const Request& request) {
    Framing framing = framing_of(request);
    bool keep_alive = !request.has_token("Connection", "close");
    if (request.target == "/ignore-body") {
      if (!respond("200 OK", "ignored\n", false, keep_alive)) return false;
      return read_body(framing).has_value() && keep_alive;
    }
    if (request.target == "/cut-short") {
      send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
      return false;
    }
    if (request.target == "/head-first") {
      if (!send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) return false;
      auto body = read_body(framing);
      if (!body) return false;
      std::string chunk = body->empty() ? "" : to_hex(body->size()) + "\r\n" + *body + "\r\n";
      return send(chunk + "0\r\n\r\n") && keep_alive;
    }
    if (request.target == "/early-hints") {
      if (!send("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"))
        return false;
    }
    auto body = read_body(framing);
    if (!body) return false;
    if (request.target == "/trailers") {
      // A chunked body with trailer fields, one of them (Cache-Control) a
      // field HTTP forbids as a trailer, which the server refuses.
      return send(
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                 "Trailer: grpc-status, x-checksum\r\n\r\n"
                 "5\r\nhello\r\n0\r\ngrpc-status: 0\r\nCache-Control: no-store\r\n"
                 "x-checksum: 5d41402a\r\n\r\n") &&
             keep_alive;
    }
    if (request.target == "/not-modified") {
      return respond("304 Not Modified", std::string(kAlphabet), true, keep_alive) && keep_alive;
    }
    if (request.target == "/close") {
      respond("200 OK", "closing\n", false, false);
      return false;
    }
    if (request.target == "/until-close") {
      send("HTTP/1.1 200 OK\r\n\r\nthe body ends with the connection\n");
      return false;
    }
    if (request.target == "/sized-until-told") {
      if (!send("HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + std::string(100000, 'a'))) {
        return false;
      }
      wait_for_file(log_.path() + ".go");
      return send(std::string(100000, 'b')) && keep_alive;
    }
    if (request.target == "/sized-then-stray") {
      if (!send("HTTP/1.1 200 OK\r\nContent-Length: 26\r\n\r\n")) return false;
      wait_for_file(log_.path() + ".go");
      return send(std::string(kAlphabet) + "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nstray!") &&
             keep_alive;
    }
    if (request.target == "/sized") {
      return respond("200 OK", std::string(kAlphabet), request.method == "HEAD", keep_alive) &&
             keep_alive;
    }
    std::string echo =
        "conn " + std::to_string(number_) + "\n" + request.method + " " + request.target + "\n";
    for (const auto& [name, value] : request.headers) echo += name + ": " + value + "\n";
    echo += "body: " + *body + "\n";
    return respond("200 OK", echo, request.method == "HEAD", keep_alive) && keep_alive;
  }

  std::optional<Request> read_head() {
    auto line = read_line();
    while (line && line->empty()) line = read_line();  // blank lines between requests
    if (!line) return std::nullopt;
    Request request;
    auto first = line->find(' ');
    auto second = line->find(' ', first + 1);
    if (first == std::string::npos || second == std::string::npos) return std::nullopt;
    request.method = line->substr(0, first);
    request.target = line->substr(first + 1, second - first - 1);
    if (request.target == "/answer-mid-head") {
      log_.add(number_, request);
      respond("200 OK", "early\n", false, true);
      wait_for_file(log_.path() + ".go");
      return std::nullopt;
    }
    while ((line = read_line()) && !line->empty()) {
      auto colon = line->find(':');
      if (colon == std::string::npos) return std::nullopt;
      request.headers.emplace_back(line->substr(0, colon), trim(line->substr(colon + 1)));
    }
    if (!line) return std::nullopt;
    return request;
  }

  std::optional<std::string> read_body(const Framing& framing) {
    if (!framing.chunked) return read_exact(framing.length);
    std::string body;
    while (true) {
      auto size_line = read_line();
      if (!size_line) return std::nullopt;
      std::size_t size = std::stoul(*size_line, nullptr, 16);
      if (size == 0) break;
      auto data = read_exact(size + 2);
      if (!data) return std::nullopt;
      body += data->substr(0, size);
    }
    std::optional<std::string> trailer;
    while ((trailer = read_line()) && !trailer->empty()) {
    }
    if (!trailer) return std::nullopt;
    return body;
  }

  std::optional<std::string> read_line() {
    std::size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return line;
  }

  std::optional<std::string> read_exact(uint64_t size) {
    while (buffer_.size() < size) {
      if (!fill()) return std::nullopt;
    }
    std::string data = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return data;
  }

  bool fill() {
    char chunk[4096];
    ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
  }

  bool respond(const std::string& status, const std::string& body, bool head_only,
               bool keep_alive) {
    std::string response =
        "HTTP/1.1 " + status + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
        (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + (head_only ? "" : body);
    return send(response);
  }

  bool send(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t put = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (put <= 0) return false;
      sent += static_cast<std::size_t>(put);
    }
    return true;
  }

  int fd_;
  int number_;
  RequestLog& log_;
  std::string buffer_;
};

}  // namespace

bool answered_h2_probe(int fd) {
  constexpr std::string_view kPreface = "PRI * HTTP/2.0";
  char start[kPreface.size()];
  pollfd p{fd, POLLIN, 0};
  // The proxy sends its first bytes as it connects; a silent client is no probe.
  if (::poll(&p, 1, 1000) <= 0) return false;
  ssize_t got = ::recv(fd, start, sizeof start, MSG_PEEK);
  if (got <= 0 || std::string_view(start, static_cast<std::size_t>(got)) != kPreface) return false;
  constexpr std::string_view kAnswer =
      "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  (void)!::send(fd, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL);
  ::close(fd);
  return true;
}

int serve_keep_alive(int listener, const std::string& request_log) {
  RequestLog log(request_log);
  std::atomic<int> connections{0};
  while (true) {
    int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0 || answered_h2_probe(fd)) continue;
    int number = ++connections;
    std::thread([fd, number, &log] { Connection(fd, number, log).serve(); }).detach();
  }
}

}  // namespace ancm::test
