#include "http_client.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cerrno>

#include "beast_response.h"

namespace ancm::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string HttpResponse::header(const std::string& lower_name) const {
  auto found = headers.find(lower_name);
  return found == headers.end() ? "" : found->second;
}

bool HttpResponse::has_header(const std::string& lower_name) const {
  return headers.count(lower_name) > 0;
}

HttpResponse to_test_response(http::response<http::string_body> message) {
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.reason = std::string(message.reason());
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    response.headers.emplace(name, std::string(field.value()));
  }
  response.keep_alive = message.keep_alive();
  response.body = std::move(message.body());
  return response;
}

struct HttpConnection::Impl {
  asio::io_context io;
  asio::generic::stream_protocol::socket socket{io};  // TCP, or a Unix domain socket
  beast::flat_buffer buffer;
  bool ok = false;

  // Runs the loop until the operation completes or the time is up.
  // Runs the loop until the operation completes or the time is up; false
  // when the time ran out (the operation is then cancelled and finished).
  bool run_for(std::chrono::milliseconds timeout, const bool& done) {
    io.restart();
    io.run_for(timeout);
    if (done) return true;
    beast::error_code ignored;
    socket.cancel(ignored);
    io.restart();
    io.run();
    return false;
  }
};

HttpConnection::HttpConnection(uint16_t port, const std::string& host)
    : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  impl_->socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address(host), port), ec);
  impl_->ok = !ec;
}

HttpConnection::HttpConnection(const UnixSocket& socket) : impl_(std::make_unique<Impl>()) {
  beast::error_code ec;
  impl_->socket.connect(asio::local::stream_protocol::endpoint(socket.path.string()), ec);
  impl_->ok = !ec;
}

HttpConnection::~HttpConnection() = default;

bool HttpConnection::connected() const { return impl_->ok; }

uint16_t HttpConnection::local_port() const {
  beast::error_code ec;
  auto endpoint = impl_->socket.local_endpoint(ec);
  if (ec || endpoint.protocol().family() == AF_UNIX) return 0;
  return ntohs(reinterpret_cast<const sockaddr_in*>(endpoint.data())->sin_port);  // v6: same place
}

void HttpConnection::send(const std::string& bytes) {
  beast::error_code ec;
  asio::write(impl_->socket, asio::buffer(bytes), ec);
}

Trickle::Trickle(HttpConnection& connection, std::string piece, std::chrono::milliseconds interval)
    : thread_([&connection, piece = std::move(piece), interval](std::stop_token stop) {
        while (!stop.stop_requested()) {
          connection.send(piece);
          std::this_thread::sleep_for(interval);
        }
      }) {}

std::future<bool> HttpConnection::send_in_background(std::string bytes) {
  int fd = impl_->socket.native_handle();
  return std::async(std::launch::async, [fd, bytes = std::move(bytes)] {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd wait{fd, POLLOUT, 0};
        ::poll(&wait, 1, 1000);
      } else {
        return false;
      }
    }
    return true;
  });
}

std::optional<HttpResponse> HttpConnection::read_response(std::chrono::milliseconds timeout,
                                                          bool head_request) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ULL << 30);
  parser.skip(head_request);
  bool done = false;
  beast::error_code result;
  http::async_read(impl_->socket, impl_->buffer, parser, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (!impl_->run_for(timeout, done) || result) return std::nullopt;
  return to_test_response(parser.release());
}

bool HttpConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  std::string ignored = read_raw(timeout);
  return !impl_->socket.is_open() || !impl_->ok;
}

std::string HttpConnection::read_raw(std::chrono::milliseconds timeout) {
  return read_until("", timeout);
}

// An empty marker reads until close or timeout.
std::string HttpConnection::read_until(const std::string& marker,
                                       std::chrono::milliseconds timeout) {
  std::string received(static_cast<const char*>(impl_->buffer.data().data()), impl_->buffer.size());
  impl_->buffer.clear();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->ok) {
    if (!marker.empty() && received.find(marker) != std::string::npos) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    char chunk[16384];
    bool done = false;
    beast::error_code result;
    std::size_t got = 0;
    impl_->socket.async_read_some(asio::buffer(chunk), [&](beast::error_code ec, std::size_t n) {
      result = ec;
      got = n;
      done = true;
    });
    bool in_time = impl_->run_for(left, done);
    if (done) received.append(chunk, got);  // a read may finish while being cancelled
    if (!in_time) break;
    if (result) {
      impl_->ok = false;  // closed or reset by the peer
      break;
    }
  }
  return received;
}

void HttpConnection::close() {
  beast::error_code ignored;
  impl_->socket.close(ignored);
  impl_->ok = false;
}

std::string get_request(const std::string& target, const std::string& extra_headers) {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

std::optional<HttpResponse> http_get(uint16_t port, const std::string& target,
                                     const std::string& extra_headers,
                                     std::chrono::milliseconds timeout) {
  HttpConnection connection(port);
  if (!connection.connected()) return std::nullopt;
  connection.send(get_request(target, "Connection: close\r\n" + extra_headers));
  return connection.read_response(timeout);
}

}  // namespace ancm::test
