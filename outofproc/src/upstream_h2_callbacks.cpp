#include "upstream_h2_callbacks.h"

#include <string_view>

#include "upstream_h2_stream.h"

namespace ancm::outofproc {
namespace {

using Stream = UpstreamH2Session::Stream;

UpstreamH2Session& session_of(void* user_data) {
  return *static_cast<UpstreamH2Session*>(user_data);
}

Stream* stream_of(nghttp2_session* session, std::int32_t id) {
  return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
}

std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

int on_header(nghttp2_session* session, const nghttp2_frame* frame, const std::uint8_t* name,
              std::size_t name_size, const std::uint8_t* value, std::size_t value_size,
              std::uint8_t, void* user_data) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  Stream* stream = stream_of(session, frame->hd.stream_id);
  if (!stream) return 0;
  // Refused: nghttp2 resets the stream and decodes the rest of the block unseen.
  bool kept = session_of(user_data).on_stream_header(*stream, text(name, name_size),
                                                     text(value, value_size));
  return kept ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
  UpstreamH2Session& owner = session_of(user_data);
  if (frame->hd.type == NGHTTP2_GOAWAY) {
    owner.on_goaway(frame->goaway.error_code);
    return 0;
  }
  if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
    owner.on_settings();
    return 0;
  }
  Stream* stream = stream_of(session, frame->hd.stream_id);
  if (!stream) return 0;
  bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame->hd.type == NGHTTP2_HEADERS) {
    owner.on_stream_headers_done(*stream, end_stream);
  } else if (frame->hd.type == NGHTTP2_DATA && end_stream) {
    owner.on_stream_data_end(*stream);
  }
  return 0;
}

int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id, const std::uint8_t* data,
                  std::size_t size, void* user_data) {
  if (Stream* stream = stream_of(session, id)) {
    session_of(user_data).on_stream_data(*stream, data, size);
  } else {
    // A stream we reset: its bytes still count against the connection window.
    nghttp2_session_consume_connection(session, size);
  }
  return 0;
}

int on_frame_send(nghttp2_session* session, const nghttp2_frame* frame, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (Stream* stream = stream_of(session, frame->hd.stream_id)) stream->headers_sent = true;
  return 0;
}

int on_stream_close(nghttp2_session* session, std::int32_t id, std::uint32_t error_code,
                    void* user_data) {
  if (Stream* stream = stream_of(session, id)) {
    session_of(user_data).on_stream_closed(*stream, error_code);
  }
  return 0;
}

}  // namespace

CallbacksPtr H2Callbacks::make() {
  nghttp2_session_callbacks* raw = nullptr;
  if (nghttp2_session_callbacks_new(&raw) != 0) return nullptr;
  CallbacksPtr callbacks(raw);
  nghttp2_session_callbacks_set_on_header_callback(raw, &on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw, &on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw, &on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(raw, &on_frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw, &on_stream_close);
  return callbacks;
}

ssize_t H2Callbacks::read_body(nghttp2_session*, std::int32_t, std::uint8_t* buffer,
                               std::size_t size, std::uint32_t* flags, nghttp2_data_source* source,
                               void* user_data) {
  auto* stream = static_cast<Stream*>(source->ptr);
  return session_of(user_data).read_body(*stream, buffer, size, flags);
}

}  // namespace ancm::outofproc
