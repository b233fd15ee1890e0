#include "http2_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>

#include "ancm/common/checked_move.h"
#include "ancm/server/worker.h"
#include "http2_callbacks.h"
#include "http2_stream.h"
#include "observe/request_observer.h"

namespace ancm::server {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// What one socket write carries at most: nghttp2's frames of a strand turn.
constexpr std::size_t kMaxWrite = 64 * 1024;
// After a timeout's GOAWAY, how long the client has to read it.
constexpr auto kGoawayLinger = std::chrono::seconds(2);

uint32_t setting(std::size_t value) { return static_cast<uint32_t>(value); }

}  // namespace

Http2Session::Http2Session(Strand strand, ClientStream stream, const ConnectionContext& context)
    : strand_(std::move(strand)),
      stream_(std::move(stream)),
      context_(context),
      endpoints_(stream_.endpoints()),
      session_(new_http2_server_session(*this)),
      timer_(strand_),
      write_timer_(strand_),
      flow_timer_(strand_),
      body_rate_timer_(strand_) {}

Http2Session::~Http2Session() {
  if (context_.registry) context_.registry->remove(this);
}

void Http2Session::start(std::string initial_bytes, FirstHeadDeadline first_head) {
  first_head_ = first_head;
  asio::dispatch(strand_, [self = shared_from_this(), bytes = std::move(initial_bytes)] {
    self->submit_settings();
    self->arm_timer(self->first_head_.bound(self->context_.limits.header_timeout));
    auto data = reinterpret_cast<const uint8_t*>(bytes.data());
    if (self->feed(data, bytes.size())) self->read_more();
    self->send();
  });
}

// Our limits, in the SETTINGS frame that follows the server's preface.
void Http2Session::submit_settings() {
  const auto& limits = context_.limits;
  nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, setting(limits.http2_max_concurrent_streams)},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, setting(limits.http2_stream_window)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, setting(limits.max_header_bytes)},
      // Extended CONNECT (RFC 8441): WebSockets over HTTP/2 (http2_stream_tunnel.cpp).
      {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},
  };
  nghttp2_submit_settings(ng(), NGHTTP2_FLAG_NONE, entries, std::size(entries));
  nghttp2_session_set_local_window_size(ng(), NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(limits.http2_connection_window));
}

// A drain lets the open streams finish: GOAWAY names the last one taken, and
// nghttp2 stops wanting to read or write once they ended (send() closes then).
void Http2Session::drain() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->dead()) return;
    nghttp2_submit_goaway(self->ng(), NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(self->ng()), NGHTTP2_NO_ERROR,
                          nullptr, 0);
    self->want_send();
  });
}

// ------------------------------------------------------------ reading

void Http2Session::read_more() {
  if (reading_ || dead()) return;
  if (!nghttp2_session_want_read(ng())) return;
  reading_ = true;
  stream_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void Http2Session::on_read(const error_code& ec, std::size_t n) {
  reading_ = false;
  if (dead()) return;
  if (ec == asio::error::operation_aborted) return send();  // end_cleanly cancelled it
  if (ec) return close();  // EOF or a broken socket: no one to answer
  if (feed(read_buffer_.data(), n)) read_more();
  send();
}

// false when the client broke the protocol: nghttp2 queued a GOAWAY (sent,
// then the connection closes) or, for a flood, the connection closes now.
bool Http2Session::feed(const uint8_t* data, std::size_t len) {
  if (len == 0) return true;
  auto used = nghttp2_session_mem_recv(ng(), data, len);
  if (used >= 0) return true;
  auto code = static_cast<int>(used);
  bool calm = code == NGHTTP2_ERR_FLOODED || code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS ||
              code == NGHTTP2_ERR_TOO_MANY_SETTINGS;
  refuse_connection(nghttp2_strerror(code),
                    calm ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
  // A flood is the client not reading what was queued: nothing more is sent.
  if (code == NGHTTP2_ERR_FLOODED) close();
  return false;
}

// Logged once. During a timeout's linger the phase stays TimedOut, so the
// linger's end closes, not a second linger.
void Http2Session::refuse_connection(std::string_view why, uint32_t goaway_code) {
  if (phase_ == Http2SessionPhase::Serving) enter(Http2SessionPhase::Refused);
  if (!logged_refusal_) {
    logged_refusal_ = true;
    spdlog::warn("HTTP/2 connection from {} {} {}", endpoints_.peer, kHttp2ConnectionRefused, why);
  }
  nghttp2_session_terminate_session(ng(), goaway_code);
  want_send();
}

// ------------------------------------------------------------ writing

void Http2Session::want_send() {
  if (send_posted_ || dead()) return;
  send_posted_ = true;
  asio::post(strand_, [self = shared_from_this()] {
    self->send_posted_ = false;
    self->send();
  });
}

// One write at a time: what nghttp2 has ready, up to kMaxWrite, in one
// buffer. Frames queued meanwhile stay in nghttp2, where its flood limits
// count them.
void Http2Session::send() {
  if (writing_ || dead()) return;
  out_.clear();
  while (out_.size() < kMaxWrite) {
    const uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(ng(), &data);
    if (n < 0) {
      spdlog::warn("HTTP/2 connection from {}: {}", endpoints_.peer,
                   nghttp2_strerror(static_cast<int>(n)));
      return close();
    }
    if (n == 0) break;
    out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
  auto callbacks = std::exchange(produced_callbacks_, {});
  if (out_.empty()) {
    for (const auto& cb : callbacks) {
      if (cb.fn) cb.fn(cb.ctx, 0, cb.bytes);
    }
    if (!nghttp2_session_want_read(ng()) && !nghttp2_session_want_write(ng())) end_cleanly();
    return;
  }
  writing_ = true;
  // A client that stops reading (its TCP window shut) must not hold the
  // connection and its handlers forever.
  write_timer_.arm(context_.limits.io_timeout,
                   [self = shared_from_this()] { self->on_write_stalled(); });
  asio::async_write(stream_, asio::buffer(out_),
                    [self = shared_from_this(), callbacks = std::move(callbacks)](
                        const error_code& ec, std::size_t) mutable {
                      self->on_written(ec, std::move(callbacks));
                    });
}

void Http2Session::on_write_stalled() {
  if (dead() || !writing_) return;
  spdlog::debug("HTTP/2 connection from {}: a write stalled", endpoints_.peer);
  close();
}

void Http2Session::on_written(const error_code& ec, std::vector<IoCallback> callbacks) {
  writing_ = false;
  write_timer_.disarm();
  int status = ec ? -ECONNRESET : 0;
  for (const auto& cb : callbacks) {
    if (cb.fn) cb.fn(cb.ctx, status, status == 0 ? cb.bytes : 0);
  }
  if (ec) return close();
  read_more();  // a write may have been what nghttp2 waited for (a window)
  send();
}

// ------------------------------------------------------------ streams

Http2Stream* Http2Session::stream_of(int32_t stream_id) const {
  return static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(ng(), stream_id));
}

Http2Stream& Http2Session::take_stream() {
  if (free_streams_.empty()) {
    streams_.push_back(std::make_unique<Http2Stream>(*this));
    return *streams_.back();
  }
  auto* stream = free_streams_.back();
  free_streams_.pop_back();
  return *stream;
}

void Http2Session::recycle_if_done(Http2Stream& stream) {
  if (!stream.recyclable()) return;
  stream.recycle();
  free_streams_.push_back(&stream);
}

void Http2Session::request_dispatched() {
  if (in_handler_++ > 0) return;
  self_while_in_handler_ = shared_from_this();
  if (context_.observer) context_.observer->connection_busy();
}

void Http2Session::dispatch(ancm_request* request) {
  request_dispatched();
  to_dispatch_.push_back(request);
  if (to_dispatch_.size() > 1) return;  // the post below is out already
  asio::post(strand_, [self = shared_from_this()] { self->hand_over_dispatched(); });
}

// The sink may call back into a stream (on the strand, so at once): the
// batch is taken out of to_dispatch_ first, and its storage kept for reuse.
void Http2Session::hand_over_dispatched() {
  std::swap(dispatching_, to_dispatch_);
  for (auto* request : dispatching_) context_.sink(request);
  dispatching_.clear();
}

void Http2Session::request_ended(Http2Stream& stream) {
  --in_handler_;
  recycle_if_done(stream);
  arm_idle_timer_if_idle();
  if (in_handler_ > 0) return;
  if (context_.observer) context_.observer->connection_idle();
  // A connection that closed during requests releases the handler's data
  // only now: what connection_data returned stays valid until they end.
  if (dead()) handler_data_.close();
  auto self = std::move(self_while_in_handler_);  // may be the last reference
}

// ------------------------------------------------------------ nghttp2's callbacks

// A client may open streams as fast as it resets them; requests a handler
// still owns count too, so resets cannot pile up work (REFUSED_STREAM past
// twice the limit).
int Http2Session::on_begin_headers(const nghttp2_frame& frame) {
  if (frame.hd.type != NGHTTP2_HEADERS || frame.headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  std::size_t in_use = streams_.size() - free_streams_.size();
  if (in_use >= 2 * context_.limits.http2_max_concurrent_streams) {
    nghttp2_submit_rst_stream(ng(), NGHTTP2_FLAG_NONE, frame.hd.stream_id, NGHTTP2_REFUSED_STREAM);
    return 0;
  }
  auto& stream = take_stream();
  stream.begin(frame.hd.stream_id);
  nghttp2_session_set_stream_user_data(ng(), frame.hd.stream_id, &stream);
  ++open_streams_;
  // HEADERS and its CONTINUATIONs come back to back: one head at a time
  // is being received, under the header timeout (disarmed at dispatch).
  arm_timer(first_head_.bound(context_.limits.header_timeout));
  return 0;
}

// A header list past max_header_bytes (decoded: an HPACK bomb is caught
// here) ends the connection, as a head past the limit ends an HTTP/1 one.
int Http2Session::on_header(const nghttp2_frame& frame, std::string_view name,
                            std::string_view value) {
  if (frame.hd.type != NGHTTP2_HEADERS) return 0;
  auto* stream = stream_of(frame.hd.stream_id);
  if (!stream) return 0;
  if (stream->add_field(name, value)) return 0;
  refuse_connection(
      "header list over the limit (" + std::to_string(context_.limits.max_header_bytes) + " bytes)",
      NGHTTP2_ENHANCE_YOUR_CALM);
  return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

int Http2Session::on_frame_recv(const nghttp2_frame& frame) {
  if (frame.hd.type != NGHTTP2_HEADERS && frame.hd.type != NGHTTP2_DATA) return 0;
  auto* stream = stream_of(frame.hd.stream_id);
  if (!stream) return 0;
  bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (frame.hd.type == NGHTTP2_HEADERS && stream->receiving_head()) {
    disarm_timer();  // no idle timeout while a stream is open
    first_head_.met();
    stream->dispatch(end_stream);
  } else if (end_stream) {
    stream->on_remote_end();  // the last DATA, or the trailers
  }
  return 0;
}

int Http2Session::on_data_chunk(int32_t stream_id, const uint8_t* data, std::size_t len) {
  auto* stream = stream_of(stream_id);
  if (!stream) {
    nghttp2_session_consume_connection(ng(), len);
    want_send();
    return 0;
  }
  stream->on_data(data, len);
  return 0;
}

int Http2Session::on_frame_sent(const nghttp2_frame& frame) {
  // nghttp2 ends some connections itself (the stream reset rate): logged as ours are.
  bool refusal = frame.hd.type == NGHTTP2_GOAWAY && frame.goaway.error_code != NGHTTP2_NO_ERROR;
  if (refusal && !logged_refusal_ && !dead()) {
    if (phase_ == Http2SessionPhase::Serving) enter(Http2SessionPhase::Refused);
    logged_refusal_ = true;
    spdlog::warn("HTTP/2 connection from {} {} {}", endpoints_.peer, kHttp2ConnectionRefused,
                 nghttp2_http2_strerror(frame.goaway.error_code));
  }
  bool ends = (frame.hd.type == NGHTTP2_HEADERS || frame.hd.type == NGHTTP2_DATA) &&
              (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (!ends) return 0;
  if (auto* stream = stream_of(frame.hd.stream_id)) stream->on_last_frame_sent();
  return 0;
}

int Http2Session::on_stream_close(int32_t stream_id, uint32_t error_code) {
  auto* stream = stream_of(stream_id);
  if (!stream) return 0;
  nghttp2_session_set_stream_user_data(ng(), stream_id, nullptr);
  --open_streams_;
  // A head nghttp2 refused (malformed) never dispatches: its header timer
  // must not outlive it and end the other streams' connection.
  if (stream->receiving_head()) disarm_timer();
  stream->on_close(error_code);
  recycle_if_done(*stream);
  arm_idle_timer_if_idle();
  return 0;
}

// ------------------------------------------------------------ timers and the end

// One timer for every stream's flow control, armed only while some stream has
// response bytes queued (so it does not keep a quiet session alive): a stream
// found waiting on a shut window at two checks in a row is reset.
void Http2Session::watch_flow() {
  if (flow_timer_armed_ || dead()) return;
  flow_timer_armed_ = true;
  flow_timer_.expires_after(context_.limits.io_timeout);
  flow_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    self->flow_timer_armed_ = false;
    if (!ec && !self->dead()) self->on_flow_timer();
  });
}

void Http2Session::on_flow_timer() {
  bool waiting = false;
  for (auto& stream : streams_) {
    if (stream->id() == 0 || !stream_of(stream->id())) continue;
    bool window = stream->check_window_stall();
    bool read = stream->check_read_stall();
    waiting = waiting || window || read;
  }
  if (waiting) watch_flow();
  want_send();
}

// Kestrel's heartbeat, for the minimum request body data rate: a second is
// the rate check's resolution (set_min_body_rate refuses a shorter grace).
void Http2Session::watch_body_rates() {
  if (body_rate_timer_armed_ || dead()) return;
  body_rate_timer_armed_ = true;
  body_rate_timer_.expires_after(std::chrono::seconds(1));
  body_rate_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    self->body_rate_timer_armed_ = false;
    if (!ec && !self->dead()) self->on_body_rate_timer();
  });
}

void Http2Session::on_body_rate_timer() {
  auto now = std::chrono::steady_clock::now();
  bool waiting = false;
  for (auto& stream : streams_) {
    if (stream->id() == 0 || !stream_of(stream->id())) continue;
    waiting = stream->check_body_rate(now) || waiting;
  }
  if (waiting) watch_body_rates();
  want_send();
}

void Http2Session::arm_idle_timer_if_idle() {
  if (dead() || open_streams_ > 0 || in_handler_ > 0) return;
  // Until a first head was complete, idling is a step of the first head's
  // budget too: streams nghttp2 resets must not stretch it.
  arm_timer(first_head_.bound(context_.limits.keepalive_timeout));
}

// While a timeout's linger runs its deadline is the one that counts: nothing
// a stream does (a close, a head, a handler's end) moves it or disarms it.
void Http2Session::disarm_timer() {
  if (phase_ == Http2SessionPhase::TimedOut) return;
  timer_.disarm();
}

void Http2Session::arm_timer(std::chrono::steady_clock::duration timeout) {
  if (dead() || phase_ == Http2SessionPhase::TimedOut) return;
  timer_.arm(timeout, [self = shared_from_this()] { self->on_timeout(); });
}

// Idle (or the preface and first request too slow): GOAWAY, and the
// connection closes once it is out, or when the client does not take it.
void Http2Session::on_timeout() {
  if (phase_ == Http2SessionPhase::TimedOut || dead()) return close();
  spdlog::debug("HTTP/2 connection from {} timed out", endpoints_.peer);
  enter(Http2SessionPhase::TimedOut);
  nghttp2_session_terminate_session(ng(), NGHTTP2_NO_ERROR);
  send();
  if (dead()) return;
  // The linger, set here alone (arm_timer leaves a TimedOut session be); its
  // end comes back to on_timeout, which closes.
  timer_.arm(kGoawayLinger, [self = shared_from_this()] { self->on_timeout(); });
}

// nghttp2 wants neither to read nor to write (its GOAWAY is out and the
// streams ended): the stream ends cleanly, with close_notify over TLS, once
// the read still pending ended (cancelled; on_read comes back through send).
void Http2Session::end_cleanly() {
  if (reading_) return stream_.cancel();
  stream_.close_gracefully(kGoawayLinger);
  close();
}

// Every stream still open ends as reset: handlers hear client_gone = 1, their
// pending reads and writes fail with -ECONNRESET.
void Http2Session::close() {
  if (dead()) return;
  enter(Http2SessionPhase::Closed);
  timer_.cancel();  // the waits hold the session
  write_timer_.cancel();
  flow_timer_.cancel();
  body_rate_timer_.cancel();
  stream_.close();
  for (auto& stream : streams_) {
    if (stream->id() == 0 || !stream_of(stream->id())) continue;
    nghttp2_session_set_stream_user_data(ng(), stream->id(), nullptr);
    stream->on_close(NGHTTP2_INTERNAL_ERROR);
    recycle_if_done(*stream);
  }
  open_streams_ = 0;
  for (const auto& cb : std::exchange(produced_callbacks_, {})) {
    if (cb.fn) asio::post(strand_, [cb] { cb.fn(cb.ctx, -ECONNRESET, 0); });
  }
  if (in_handler_ == 0) handler_data_.close();
}

// A move the table lacks is a bug: logged, not made.
void Http2Session::enter(Http2SessionPhase to) {
  common::checked_move(phase_, to, [&](auto from, auto next) {
    spdlog::error("HTTP/2 connection from {}: illegal session phase transition {} -> {}",
                  endpoints_.peer, from, next);
  });
}

std::shared_ptr<Http2Session> start_http2(Strand strand, ClientStream stream,
                                          const ConnectionContext& context,
                                          std::string initial_bytes, FirstHeadDeadline first_head) {
  auto session = std::make_shared<Http2Session>(std::move(strand), std::move(stream), context);
  if (context.registry) context.registry->add(session);
  session->start(std::move(initial_bytes), first_head);
  return session;
}

}  // namespace ancm::server
