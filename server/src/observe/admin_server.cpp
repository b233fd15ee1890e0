#include "observe/admin_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

#include "socket_address.h"

namespace ancm::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);
// Scrapers and probes need few; more are closed at once, so a client cannot
// spend the worker's descriptors (shared with the app's listeners) here.
constexpr int kMaxSessions = 64;
constexpr std::size_t kMaxHead = 8 * 1024;

// One strand per session: its read, write and idle timer never run at once.
using Strand = asio::strand<asio::io_context::executor_type>;
using Socket = asio::basic_stream_socket<asio::generic::stream_protocol, Strand>;

class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(Socket socket, const AdminSources& sources, std::shared_ptr<std::atomic<int>> live)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        sources_(sources),
        live_(std::move(live)) {
    ++*live_;
  }
  ~AdminSession() { --*live_; }
  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  void read() {
    parser_.emplace();
    parser_->header_limit(kMaxHead);
    parser_->body_limit(0);
    timer_.expires_after(kIdleTimeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       self->timer_.cancel();
                       if (ec) return self->close();
                       self->answer();
                     });
  }

 private:
  void answer() {
    const auto& request = parser_->get();
    auto answer = admin_answer(request.method_string(), request.target(), sources_);
    response_ = {};
    response_.version(request.version());
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(http::field::content_type, answer.content_type);
    response_.set(http::field::cache_control, "no-store");
    if (answer.allow_header) response_.set(http::field::allow, "GET, HEAD");
    response_.body() = std::move(answer.body);
    response_.prepare_payload();
    if (request.method() == http::verb::head) response_.body().clear();
    response_.keep_alive(request.keep_alive());
    // A client that does not read its answer is closed as an idle one is.
    timer_.expires_after(kIdleTimeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) self->close();
    });
    http::async_write(socket_, response_, [self = shared_from_this()](error_code ec, std::size_t) {
      self->timer_.cancel();
      if (ec || !self->response_.keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Socket socket_;
  asio::steady_timer timer_;
  const AdminSources& sources_;
  std::shared_ptr<std::atomic<int>> live_;  // the listener's count of sessions
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  http::response<http::string_body> response_;
};

asio::generic::stream_protocol protocol_of(int fd) {
  return {local_socket_address(fd).family == AF_INET6 ? AF_INET6 : AF_INET, IPPROTO_TCP};
}

}  // namespace

AdminListener::AdminListener(asio::io_context& io, int fd, const AdminSources& sources)
    : io_(io), acceptor_(io, protocol_of(fd), fd), retry_(io), sources_(sources) {}

void AdminListener::start() { accept(); }

void AdminListener::stop() {
  error_code ignored;
  acceptor_.close(ignored);
  retry_.cancel();
}

void AdminListener::accept() {
  acceptor_.async_accept(
      asio::make_strand(io_), [self = shared_from_this()](error_code ec, Socket socket) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (!ec) {
          if (*self->live_ >= kMaxSessions) {
            error_code ignored;
            socket.close(ignored);
          } else {
            std::make_shared<AdminSession>(std::move(socket), self->sources_, self->live_)->read();
          }
          return self->accept();
        }
        // Out of descriptors or memory: back off instead of spinning, as the
        // app's listeners do.
        spdlog::warn("admin listener: accept failed: {}; retrying in 100 ms", ec.message());
        self->retry_.expires_after(std::chrono::milliseconds(100));
        self->retry_.async_wait([self](error_code wait_ec) {
          if (!wait_ec) self->accept();
        });
      });
}

}  // namespace ancm::server
