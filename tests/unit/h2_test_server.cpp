#include "h2_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace ancm::test {
namespace {

constexpr int kPollMs = 20;  // how often a connection thread looks at stopping()

struct Stream {
  std::int32_t id = 0;
  H2SeenRequest seen;
  bool head_done = false;
  std::string response;  // body to send
  std::size_t sent = 0;
  std::vector<std::pair<std::string, std::string>> response_trailers;
};

// Views: a literal name stays valid while nghttp2 reads it (a temporary
// std::string made from it would not).
nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
}

class Connection {
 public:
  Connection(H2TestServer& server, common::UniqueFd fd) : server_(server), fd_(std::move(fd)) {}

  void run() {
    if (!start_session()) return;
    while (!server_.stopping()) {
      // A child that stopped reading: what the client sends piles up in TCP.
      pollfd p{fd_.get(), static_cast<short>(stop_reading_ ? 0 : POLLIN), 0};
      if (::poll(&p, 1, kPollMs) > 0) {
        char buffer[16384];
        ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
        if (n <= 0) break;
        if (nghttp2_session_mem_recv(session_.get(), reinterpret_cast<std::uint8_t*>(buffer),
                                     static_cast<std::size_t>(n)) < 0) {
          break;
        }
      }
      if (!send_pending()) break;
      if (!nghttp2_session_want_read(session_.get()) &&
          !nghttp2_session_want_write(session_.get())) {
        break;
      }
    }
    close_gracefully();
  }

 private:
  // FIN first, then read what the client still sends until it closes: a
  // close with unread bytes would reset the connection and lose the
  // response's last bytes at the client.
  void close_gracefully() {
    ::shutdown(fd_.get(), SHUT_WR);
    char buffer[4096];
    pollfd p{fd_.get(), POLLIN, 0};
    while (!server_.stopping() && ::poll(&p, 1, kPollMs) >= 0) {
      if (p.revents != 0 && ::recv(fd_.get(), buffer, sizeof buffer, 0) <= 0) break;
    }
  }

  struct SessionDeleter {
    void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
  };

  static Connection& self(void* user_data) { return *static_cast<Connection*>(user_data); }

  bool start_session() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &on_close);
    nghttp2_session* raw = nullptr;
    nghttp2_session_server_new(&raw, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    session_.reset(raw);
    constexpr std::uint32_t kLargestWindow = (1u << 31) - 1;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, server_.max_streams()},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kLargestWindow}};
    nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings, server_.open_windows() ? 2 : 1);
    if (server_.open_windows()) {
      nghttp2_session_set_local_window_size(raw, NGHTTP2_FLAG_NONE, 0, kLargestWindow);
    }
    return send_pending();
  }

  bool send_pending() {
    while (true) {
      const std::uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
      if (n < 0) return false;
      if (n == 0) break;
      if (::send(fd_.get(), data, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) return false;
    }
    if (!resets_.empty()) {
      for (std::int32_t id : std::exchange(resets_, {})) {
        nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_INTERNAL_ERROR);
      }
      return send_pending();
    }
    for (const auto& [id, stream] : streams_) {
      bool more = stream->sent < stream->response.size();
      if (more && nghttp2_session_get_stream_remote_window_size(session_.get(), id) == 0) {
        server_.note_window_exhausted();
      }
    }
    return true;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    Connection& c = self(user_data);
    auto stream = std::make_unique<Stream>();
    stream->id = frame->hd.stream_id;
    c.streams_[stream->id] = std::move(stream);
    c.server_.note_open_streams(static_cast<int>(c.streams_.size()));
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t name_size, const std::uint8_t* value, std::size_t value_size,
                       std::uint8_t, void* user_data) {
    Connection& c = self(user_data);
    auto it = c.streams_.find(frame->hd.stream_id);
    if (it == c.streams_.end()) return 0;
    std::string key(reinterpret_cast<const char*>(name), name_size);
    std::string text(reinterpret_cast<const char*>(value), value_size);
    auto& target = it->second->head_done ? it->second->seen.trailers : it->second->seen.headers;
    target[key] = text;
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Connection& c = self(user_data);
    auto it = c.streams_.find(frame->hd.stream_id);
    if (it == c.streams_.end()) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS) {
      it->second->head_done = true;
      if (it->second->seen.headers[":path"] == "/stop-reading") c.stop_reading_ = true;
    }
    bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (end && (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA)) {
      c.request_done(*it->second);
    }
    return 0;
  }

  static int on_data(nghttp2_session*, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                     std::size_t size, void* user_data) {
    Connection& c = self(user_data);
    auto it = c.streams_.find(id);
    if (it != c.streams_.end())
      it->second->seen.body.append(reinterpret_cast<const char*>(data), size);
    return 0;
  }

  static int on_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code,
                      void* user_data) {
    Connection& c = self(user_data);
    if (error_code == NGHTTP2_CANCEL) c.server_.note_cancel();
    c.streams_.erase(id);
    std::erase(c.pairs_, id);
    return 0;
  }

  static ssize_t read_response(nghttp2_session* session, std::int32_t id, std::uint8_t* buffer,
                               std::size_t size, std::uint32_t* flags, nghttp2_data_source*,
                               void* user_data) {
    Connection& c = self(user_data);
    Stream& stream = *c.streams_.at(id);
    std::size_t n = std::min(size, stream.response.size() - stream.sent);
    std::memcpy(buffer, stream.response.data() + stream.sent, n);
    stream.sent += n;
    if (stream.sent == stream.response.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!stream.response_trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> nva;
        for (const auto& [name, value] : stream.response_trailers) nva.push_back(nv(name, value));
        nghttp2_submit_trailer(session, id, nva.data(), nva.size());
      }
    }
    return static_cast<ssize_t>(n);
  }

  void respond(Stream& stream, const std::string& status, std::string body) {
    stream.response = std::move(body);
    const std::string status_name = ":status";
    nghttp2_nv head[] = {nv(status_name, status)};
    nghttp2_data_provider provider{};
    provider.read_callback = &read_response;
    nghttp2_submit_response(session_.get(), stream.id, head, 1, &provider);
  }

  // What each :path does.
  void request_done(Stream& stream) {
    server_.record(stream.seen);
    const std::string path = stream.seen.headers[":path"];
    if (path == "/reset-before-head") {
      nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream.id,
                                NGHTTP2_INTERNAL_ERROR);
    } else if (path == "/reset-after-head") {
      // The reset is submitted once the head went out (send_pending): nghttp2
      // would send a RST_STREAM queued with it first.
      const std::string status_name = ":status", ok = "200";
      nghttp2_nv head[] = {nv(status_name, ok)};
      nghttp2_submit_headers(session_.get(), NGHTTP2_FLAG_NONE, stream.id, nullptr, head, 1,
                             nullptr);
      resets_.push_back(stream.id);
    } else if (path == "/echo") {
      respond(stream, "200", stream.seen.body);
    } else if (path == "/trailers") {
      stream.response_trailers = {{"grpc-status", "0"}, {"grpc-message", "fine"}};
      respond(stream, "200", "with trailers");
    } else if (path.starts_with("/big/")) {
      respond(stream, "200", std::string(std::stoul(path.substr(5)), 'b'));
    } else if (path == "/pair") {
      // Answered two at a time: more than two open would be a protocol error.
      pairs_.push_back(stream.id);
      if (pairs_.size() == 2) {
        for (std::int32_t id : std::exchange(pairs_, {})) respond(*streams_.at(id), "200", "pair");
      }
    } else if (path == "/goaway") {
      respond(stream, "200", "bye");
      nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                            nghttp2_session_get_last_proc_stream_id(session_.get()),
                            NGHTTP2_NO_ERROR, nullptr, 0);
    } else if (path.starts_with("/big-head/")) {
      // A head past any sane limit: one field of the size asked for.
      stream.response = "big";
      const std::string status_name = ":status", ok = "200", big_name = "x-big";
      const std::string big(std::stoul(path.substr(10)), 'h');
      nghttp2_nv head[] = {nv(status_name, ok), nv(big_name, big)};
      nghttp2_data_provider provider{};
      provider.read_callback = &read_response;
      nghttp2_submit_response(session_.get(), stream.id, head, 2, &provider);
    } else if (path == "/never") {
      // No answer: the test cancels it.
    } else {
      respond(stream, "200", "hello");
    }
  }

  H2TestServer& server_;
  common::UniqueFd fd_;
  std::unique_ptr<nghttp2_session, SessionDeleter> session_;
  std::map<std::int32_t, std::unique_ptr<Stream>> streams_;
  std::vector<std::int32_t> pairs_;
  std::vector<std::int32_t> resets_;  // streams reset once their head is out
  bool stop_reading_ = false;         // "/stop-reading" came: nothing is read from now on
};

}  // namespace

H2TestServer::H2TestServer(std::uint32_t max_streams, bool open_windows)
    : max_streams_(max_streams), open_windows_(open_windows) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listener_.get(), 16) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("H2TestServer: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  acceptor_ = std::jthread([this] { accept_loop(); });
}

H2TestServer::~H2TestServer() {
  stopping_ = true;
  acceptor_.join();  // no connection thread is added after this
  connection_threads_.clear();
}

void H2TestServer::accept_loop() {
  while (!stopping_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, kPollMs) <= 0) continue;
    common::UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) continue;
    ++connections_;
    connection_threads_.emplace_back(
        [this, fd = std::move(fd)]() mutable { Connection(*this, std::move(fd)).run(); });
  }
}

std::vector<H2SeenRequest> H2TestServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void H2TestServer::record(H2SeenRequest request) {
  std::lock_guard lock(mutex_);
  requests_.push_back(std::move(request));
}

void H2TestServer::note_open_streams(int open) {
  int seen = most_open_streams_.load();
  while (open > seen && !most_open_streams_.compare_exchange_weak(seen, open)) {
  }
}

}  // namespace ancm::test
