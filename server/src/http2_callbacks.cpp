#include "http2_callbacks.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "http2_memory.h"

namespace ancm::server {
namespace {

Http2Session& owner(void* user_data) { return *static_cast<Http2Session*>(user_data); }

std::string_view text(const uint8_t* data, std::size_t len) {
  return {reinterpret_cast<const char*>(data), len};
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return owner(user_data).on_begin_headers(*frame);
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
              const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
  return owner(user_data).on_header(*frame, text(name, namelen), text(value, valuelen));
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return owner(user_data).on_frame_recv(*frame);
}

int on_data_chunk_recv(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                       size_t len, void* user_data) {
  return owner(user_data).on_data_chunk(stream_id, data, len);
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  return owner(user_data).on_frame_sent(*frame);
}

int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
  return owner(user_data).on_stream_close(stream_id, error_code);
}

// What nghttp2 refused of a client's frames, for whoever debugs a client.
int on_error(nghttp2_session*, int, const char* message, size_t len, void* user_data) {
  const auto& peer = owner(user_data).endpoints();
  spdlog::debug("HTTP/2 connection from {}: {}", peer.peer, std::string_view(message, len));
  return 0;
}

common::Nghttp2CallbacksPtr callbacks() {
  nghttp2_session_callbacks* raw = nullptr;
  if (nghttp2_session_callbacks_new(&raw) != 0) throw std::bad_alloc();
  common::Nghttp2CallbacksPtr owned(raw);
  nghttp2_session_callbacks_set_on_begin_headers_callback(raw, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(raw, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw, on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(raw, on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw, on_stream_close);
  nghttp2_session_callbacks_set_error_callback2(raw, on_error);
  return owned;
}

common::Nghttp2OptionPtr options() {
  nghttp2_option* raw = nullptr;
  if (nghttp2_option_new(&raw) != 0) throw std::bad_alloc();
  common::Nghttp2OptionPtr owned(raw);
  // The window reopens as the handler reads (nghttp2_session_consume), so an
  // unread body is bounded by the stream's window.
  nghttp2_option_set_no_auto_window_update(raw, 1);
  nghttp2_option_set_stream_reset_rate_limit(raw, kHttp2ResetBurst, kHttp2ResetRate);
  common::limit_http2_floods(raw);
  return owned;
}

}  // namespace

common::Nghttp2SessionPtr new_http2_server_session(Http2Session& session) {
  nghttp2_session* raw = nullptr;
  if (nghttp2_session_server_new3(&raw, callbacks().get(), &session, options().get(),
                                  http2_memory()) != 0) {
    throw std::bad_alloc();
  }
  return common::Nghttp2SessionPtr(raw);
}

}  // namespace ancm::server
