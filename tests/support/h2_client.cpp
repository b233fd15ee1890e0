#include "h2_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace ancm::test {
namespace {

// Views, not strings: a literal name stays valid for as long as nghttp2
// reads it (a temporary std::string made from it would not).
nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

H2Request h2_get(std::string path) {
  H2Request request;
  request.path = std::move(path);
  return request;
}

H2Request h2_post(std::string path, std::string body,
                  std::vector<std::pair<std::string, std::string>> trailers) {
  H2Request request;
  request.method = "POST";
  request.path = std::move(path);
  request.body = std::move(body);
  request.trailers = std::move(trailers);
  return request;
}

std::string H2Response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

void H2Client::SessionDeleter::operator()(nghttp2_session* session) const {
  nghttp2_session_del(session);
}

struct H2Client::Callbacks {
  static H2Client& self(void* user_data) { return *static_cast<H2Client*>(user_data); }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    auto& response = self(user_data).responses_[frame->hd.stream_id];
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      response.status = std::stoi(v);
    } else if (frame->headers.cat == NGHTTP2_HCAT_HEADERS) {  // after the body: trailers
      response.trailers.emplace(std::move(n), std::move(v));
    } else {
      response.headers.emplace(std::move(n), std::move(v));
    }
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
                     void* user_data) {
    self(user_data).responses_[stream_id].body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int on_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
    auto& response = self(user_data).responses_[stream_id];
    response.closed = true;
    response.close_code = error_code;
    return 0;
  }
  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_GOAWAY) self(user_data).goaway_code_ = frame->goaway.error_code;
    return 0;
  }
  static ssize_t read_upload(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                             size_t length, uint32_t* flags, nghttp2_data_source* source, void*) {
    auto& upload = *static_cast<Upload*>(source->ptr);
    if (upload.keep_open && upload.offset == upload.body.size()) return NGHTTP2_ERR_DEFERRED;
    std::size_t n = std::min(length, upload.body.size() - upload.offset);
    std::memcpy(buf, upload.body.data() + upload.offset, n);
    upload.offset += n;
    if (upload.offset == upload.body.size() && !upload.keep_open) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!upload.trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        std::vector<nghttp2_nv> nva;
        for (const auto& [name, value] : upload.trailers) nva.push_back(nv(name, value));
        nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size());
      }
    }
    return static_cast<ssize_t>(n);
  }
};

H2Client::H2Client(uint16_t port, uint32_t initial_window) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::on_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::on_frame);
  nghttp2_session* session = nullptr;
  nghttp2_session_client_new(&session, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  session_.reset(session);
  nghttp2_settings_entry entries[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, initial_window}};
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, entries, 1);
  flush_out();
}

H2Client::~H2Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool H2Client::connected() const { return fd_ >= 0; }

int32_t H2Client::submit(const H2Request& request) {
  std::string scheme = "http";
  std::vector<nghttp2_nv> nva = {nv(":method", request.method), nv(":scheme", scheme),
                                 nv(":path", request.path), nv(":authority", request.authority)};
  for (const auto& [name, value] : request.headers) nva.push_back(nv(name, value));
  if (!request.body && !request.keep_open) {
    return nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(), nullptr,
                                  nullptr);
  }
  auto upload = std::make_unique<Upload>(
      Upload{request.body.value_or(""), 0, request.trailers, request.keep_open});
  nghttp2_data_provider provider{};
  provider.source.ptr = upload.get();
  provider.read_callback = Callbacks::read_upload;
  int32_t id =
      nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(), &provider, nullptr);
  if (id > 0) uploads_[id] = std::move(upload);
  return id;
}

void H2Client::reset(int32_t stream_id, uint32_t error_code) {
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id, error_code);
}

bool H2Client::flush_out() {
  for (;;) {
    const uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) return false;
    if (n == 0) return true;
    std::size_t sent = 0;
    while (sent < static_cast<std::size_t>(n)) {
      auto w = ::send(fd_, data + sent, n - sent, MSG_NOSIGNAL);
      if (w <= 0) return false;
      sent += static_cast<std::size_t>(w);
    }
  }
}

// One round: send what is pending, wait for bytes, feed them.
bool H2Client::pump(std::chrono::milliseconds wait) {
  if (!flush_out()) {
    connection_closed_ = true;
    return false;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
  char buf[16384];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    connection_closed_ = true;
    return false;
  }
  if (nghttp2_session_mem_recv(session_.get(), reinterpret_cast<uint8_t*>(buf), n) < 0) {
    connection_closed_ = true;
    return false;
  }
  return true;
}

bool H2Client::run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (connection_closed_ || std::chrono::steady_clock::now() >= deadline) return done();
    if (!pump(std::chrono::milliseconds(50))) return done();
  }
  flush_out();
  return true;
}

bool H2Client::run_until_closed(const std::vector<int32_t>& streams,
                                std::chrono::milliseconds timeout) {
  return run_until(
      [&] {
        for (auto id : streams) {
          if (!responses_[id].closed) return false;
        }
        return true;
      },
      timeout);
}

std::optional<H2Response> H2Client::fetch(const H2Request& request,
                                          std::chrono::milliseconds timeout) {
  auto id = submit(request);
  if (id <= 0 || !run_until_closed({id}, timeout)) return std::nullopt;
  return responses_[id];
}

}  // namespace ancm::test
