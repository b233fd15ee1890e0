#include "http2_stream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "ancm/common/ascii.h"
#include "ancm/common/checked_move.h"
#include "ancm/common/trailer_fields.h"
#include "http2_session.h"
#include "http2_stream_on_strand.h"
#include "observe/request_observer.h"
#include "request_head_rules.h"

namespace ancm::server {
namespace asio = boost::asio;

namespace {

// Fields that mean something only to one HTTP/1 connection: HTTP/2 forbids
// them (RFC 9113 section 8.2.2), so a handler's are dropped, not sent.
bool is_connection_specific(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade";
}

bool valid_field(std::string_view lower_name, std::string_view value) {
  return !lower_name.empty() &&
         nghttp2_check_header_name(reinterpret_cast<const uint8_t*>(lower_name.data()),
                                   lower_name.size()) &&
         nghttp2_check_header_value(reinterpret_cast<const uint8_t*>(value.data()), value.size());
}

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

ssize_t read_response_cb(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                         nghttp2_data_source* source, void*) {
  return static_cast<Http2Stream*>(source->ptr)->read_response(buf, length, flags);
}

// Each HTTP/2 request header costs its bytes plus 32, as SETTINGS_MAX_HEADER_LIST_SIZE counts.
constexpr std::size_t kFieldOverhead = 32;

}  // namespace

Http2Stream::Http2Stream(Http2Session& session) : session_(session) { handle_.owner = this; }

// ------------------------------------------------------------ the request head

void Http2Stream::begin(int32_t stream_id) {
  enter(Http2RequestPhase::ReceivingHead);
  id_ = stream_id;
  facts_ = {};
  head_bytes_ = 0;
  has_body_ = false;
  body_received_ = 0;
  body_failure_ = 0;
  reading_ = false;
  body_rate_.restart();
  body_done_ = false;
  deferred_ = false;
  no_body_ = false;
  piece_offset_ = 0;
  body_written_ = 0;
  stall_noticed_ = false;
  body_checked_ = 0;
  read_stall_noticed_ = false;
  disconnect_cb_ = nullptr;
  answered_status_ = 0;
  if (session_.context().observer) started_ = std::chrono::steady_clock::now();
  // status_ is 200 already: a new object's, or recycle() reset it.
}

bool Http2Stream::add_field(std::string_view name, std::string_view value) {
  head_bytes_ += name.size() + value.size() + kFieldOverhead;
  if (head_bytes_ > session_.context().limits.max_header_bytes) return false;
  if (!receiving_head()) {
    trailer_fields_.emplace_back(name, value);
  } else if (name == ":method") {
    method_.assign(value);
  } else if (name == ":path") {
    target_.assign(value);
  } else if (name == ":scheme") {
    scheme_.assign(value);
  } else if (name == ":authority") {
    authority_.assign(value);
  } else if (name == ":protocol") {  // nghttp2 lets it through only on a CONNECT (RFC 8441)
    protocol_.assign(value);
  } else if (!name.starts_with(':')) {
    fields_.emplace_back(name, value);
  }
  return true;
}

// ASP.NET Core and the proxy expect a Host field; HTTP/2 splits cookies into
// several fields, which HTTP/1 readers expect as one (RFC 9113 section 8.2.3).
// In place: fields_ keeps its storage for the stream's next request.
void Http2Stream::build_request_spans() {
  path_len_ = std::min(target_.find('?'), target_.size());
  std::string cookies;
  bool has_host = false;
  std::size_t kept = 0;
  for (auto& field : fields_) {
    if (field.first == "cookie") {
      cookies += (cookies.empty() ? "" : "; ") + field.second;
      continue;
    }
    has_host = has_host || field.first == "host";
    if (&fields_[kept] != &field) fields_[kept] = std::move(field);
    ++kept;
  }
  fields_.resize(kept);
  if (!has_host && !authority_.empty()) fields_.emplace(fields_.begin(), "host", authority_);
  if (!cookies.empty()) fields_.emplace_back("cookie", std::move(cookies));
  header_spans_.clear();
  for (const auto& [name, value] : fields_)
    header_spans_.push_back({abi::str(name), abi::str(value)});
}

// The same rules as an HTTP/1.1 head (request_head_rules.h), on the decoded
// pseudo-header and header fields; nghttp2 checked their syntax and framing.
common::Result<void, HeadRejection> Http2Stream::check_head() const {
  RequestHead head;
  head.method = method_;
  head.target = target_;
  head.version = 20;
  head.scheme = scheme_;
  head.authority = authority_;
  head.protocol = protocol_;
  head.fields = std::move(head_fields_);  // the storage of the stream's last check
  head.fields.clear();
  for (const auto& [name, value] : fields_) head.fields.push_back({name, value});
  const auto& limits = session_.context().limits;
  auto ruled = apply_request_head_rules(head, {limits.max_header_bytes, limits.max_uri_bytes,
                                               limits.max_body_bytes, limits.max_header_count});
  head_fields_ = std::move(head.fields);
  if (!ruled.ok()) return ruled;
  return check_connect_protocol();
}

// A head that broke a rule is answered by the server, as HTTP/1.1 answers
// one, and no handler sees it. Only this stream ends: the connection's
// framing is intact, unlike after a broken HTTP/1.1 head.
void Http2Stream::refuse_head(const HeadRejection& rejection) {
  spdlog::debug("HTTP/2 stream {} from {}: answering {}: {}", id_, session_.endpoints().peer,
                rejection.status, rejection.rule);
  enter(Http2RequestPhase::Refused);
  {
    std::lock_guard lock(head_mutex_);
    enter(Http2ResponsePhase::ServerAnswer);
  }
  send_server_answer(rejection.status);
  build_request_spans();  // for the access log: the head as the client sent it
  observe_end(/*answered_by_host=*/true);
}

void Http2Stream::dispatch(bool end_stream) {
  // An extended CONNECT's DATA is its tunnel's, never a request body.
  has_body_ = !end_stream && protocol_.empty();
  facts_.remote_ended = end_stream;
  if (auto ruled = check_head(); !ruled.ok()) return refuse_head(ruled.error());
  build_request_spans();
  enter(Http2RequestPhase::InHandler);
  {
    std::lock_guard lock(head_mutex_);
    enter(Http2ResponsePhase::HeadOpen);
  }
  session_.dispatch(current_handle(handle_));
}

ancm_str Http2Stream::query() const {
  if (path_len_ >= target_.size()) return {target_.data() + target_.size(), 0};
  return abi::str(std::string_view(target_).substr(path_len_ + 1));
}

ancm_str Http2Stream::remote_address() const {
  return abi::str(session_.endpoints().remote_address);
}
uint16_t Http2Stream::remote_port() const { return session_.endpoints().remote_port; }
ancm_str Http2Stream::local_address() const { return abi::str(session_.endpoints().local_address); }
uint16_t Http2Stream::local_port() const { return session_.endpoints().local_port; }
bool Http2Stream::is_tls() const { return session_.is_tls(); }
int Http2Stream::tls_info(ancm_tls_info* out) const { return session_.tls_info(out); }
const Strand& Http2Stream::strand() const { return session_.strand(); }
ConnectionData& Http2Stream::handler_data() { return session_.handler_data(); }

// ------------------------------------------------------------ the request body

// DATA the handler will not read is consumed at once: the connection's window
// must not shrink for it.
void Http2Stream::on_data(const uint8_t* data, std::size_t len) {
  body_received_ += len;
  bool wanted = (in_handler() || tunnel_open()) && body_failure_ == 0;
  // A tunnel's bytes are no body: the body limit does not bound them.
  if (wanted && protocol_.empty() && body_received_ > session_.context().limits.max_body_bytes) {
    wanted = false;
    spdlog::debug("HTTP/2 stream {} from {}: request body over the limit", id_,
                  session_.endpoints().peer);
    refuse_body(413, -EMSGSIZE, NGHTTP2_INTERNAL_ERROR);
  }
  if (!wanted) {
    nghttp2_session_consume(session_.ng(), id_, len);
    return session_.want_send();
  }
  body_.append(reinterpret_cast<const char*>(data), len);
  fill_pending_read();
}

void Http2Stream::on_remote_end() {
  facts_.remote_ended = true;
  trailer_spans_.clear();
  for (const auto& [name, value] : trailer_fields_) {
    trailer_spans_.push_back({abi::str(name), abi::str(value)});
  }
  fill_pending_read();
}

// Past the body limit, or under the minimum rate: the server answers
// (413, 408) when nothing of the response was handed over yet (then resets
// the rest of the upload once the answer is out, on_last_frame_sent), else
// the stream is reset, the response cut short. The handler's read fails.
void Http2Stream::refuse_body(int status, int failure, uint32_t reset_code) {
  body_failure_ = failure;
  nghttp2_session_consume(session_.ng(), id_, body_.size() - body_offset_);
  body_.clear();
  body_offset_ = 0;
  bool untouched = false;
  {
    std::lock_guard lock(head_mutex_);
    untouched = response_ == Http2ResponsePhase::HeadOpen;
    if (untouched) enter(Http2ResponsePhase::ServerAnswer);
  }
  if (untouched) {
    send_server_answer(status);
  } else {
    send_reset(reset_code);
    session_.want_send();
  }
  fill_pending_read();
}

// The server's own answer (the response phase is ServerAnswer): the status
// alone, in a HEADERS frame that ends the stream.
void Http2Stream::send_server_answer(int status) {
  answered_status_ = status;
  auto text = std::to_string(status);
  auto head = nv(":status", text);
  nghttp2_submit_response(session_.ng(), id_, &head, 1, nullptr);
  {
    std::lock_guard lock(head_mutex_);
    enter(Http2ResponsePhase::BodyEnded);
  }
  session_.want_send();
}

void Http2Stream::read_body(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) {
  on_strand([this, buf, cap, cb, ctx] {
    if (!in_handler() || reading_ || cap == 0) return post_callback({cb, ctx}, -EINVAL, 0);
    // An extended CONNECT has no body: its DATA is the tunnel's (stream_read).
    if (!protocol_.empty()) return post_callback({cb, ctx}, 0, 0);
    reading_ = true;
    pending_read_ = {cb, ctx, 0};
    read_buf_ = buf;
    read_cap_ = cap;
    fill_pending_read();
  });
}

// Answers the pending read from what is buffered; what it takes is consumed,
// so nghttp2 opens the window (WINDOW_UPDATE) for as much again.
void Http2Stream::fill_pending_read() {
  if (!reading_) return;
  std::size_t available = body_.size() - body_offset_;
  int status = 0;
  std::size_t got = 0;
  if (body_failure_ != 0) {
    status = body_failure_;
  } else if (available > 0) {
    got = std::min(read_cap_, available);
    std::memcpy(read_buf_, body_.data() + body_offset_, got);
    body_offset_ += got;
    if (body_offset_ == body_.size()) {
      body_.clear();
      body_offset_ = 0;
    }
    if (!facts_.closed) nghttp2_session_consume(session_.ng(), id_, got);
    session_.want_send();
  } else if (!facts_.remote_ended) {
    if (!facts_.closed && !session_.dead()) return wait_for_data();
    status = -ECONNRESET;
  }
  reading_ = false;
  if (body_rate_.waiting()) body_rate_.wait_ended(std::chrono::steady_clock::now());
  body_rate_.count(got);
  post_callback(pending_read_, status, got);
}

// The read waits for DATA: the flow timer watches for a client that stopped
// sending, the body-rate timer for one that sends too slowly (a tunnel's
// bytes have no minimum rate).
void Http2Stream::wait_for_data() {
  session_.watch_flow();
  if (!protocol_.empty() || body_rate_.waiting()) return;
  auto now = std::chrono::steady_clock::now();
  body_rate_.wait_started(now);
  if (body_rate_.time_left(now)) session_.watch_body_rates();
}

void Http2Stream::set_min_body_rate(MinBodyRate rate) {
  on_strand([this, rate] {
    if (!in_handler()) return;
    body_rate_.set(rate);
    if (body_rate_.waiting() && rate.bytes_per_second > 0) session_.watch_body_rates();
  });
}

bool Http2Stream::check_body_rate(std::chrono::steady_clock::time_point now) {
  if (!reading_ || !body_rate_.waiting() || facts_.closed || session_.dead()) return false;
  if (!body_rate_.time_left(now)) return false;
  // Other streams' unread bodies fill the connection's window: the client
  // may not send, and the time since the last check is not held against it.
  if (nghttp2_session_get_local_window_size(session_.ng()) <= 0) {
    body_rate_.restart_wait(now);
    return true;
  }
  if (!body_rate_.too_slow(now)) return true;
  spdlog::debug(
      "HTTP/2 stream {} from {}: request body came too slowly (under the minimum data "
      "rate)",
      id_, session_.endpoints().peer);
  refuse_body(408, -ETIMEDOUT, NGHTTP2_CANCEL);
  return false;
}

// ------------------------------------------------------------ the response head

int Http2Stream::set_status(int status, std::string_view) {
  if (status < 100 || status > 999) return -EINVAL;
  std::lock_guard lock(head_mutex_);
  if (response_ != Http2ResponsePhase::HeadOpen) return -EALREADY;
  status_ = status;
  return 0;
}

int Http2Stream::add_header(std::string_view name, std::string_view value) {
  auto lower = common::ascii_lowered(name);
  if (!valid_field(lower, value)) return -EINVAL;
  std::lock_guard lock(head_mutex_);
  if (response_ != Http2ResponsePhase::HeadOpen) return -EALREADY;
  if (is_connection_specific(lower)) return 0;
  response_fields_.emplace_back(std::move(lower), value);
  return 0;
}

int Http2Stream::add_trailer(std::string_view name, std::string_view value) {
  auto lower = common::ascii_lowered(name);
  // The same rules as HTTP/1.1's last chunk (common/trailer_fields.h).
  if (!valid_field(lower, value) || !common::is_allowed_trailer(name, value)) return -EINVAL;
  std::lock_guard lock(head_mutex_);
  if (response_ != Http2ResponsePhase::HeadOpen && response_ != Http2ResponsePhase::HeadSubmitted) {
    return -EALREADY;
  }
  response_trailers_.emplace_back(std::move(lower), value);
  return 0;
}

// HEADERS goes to nghttp2 with a data source that defers until the handler
// writes (or, with nothing queued at complete(), with END_STREAM on it).
void Http2Stream::submit_head() {
  auto& head = head_nv_;  // nghttp2 copies the fields: the storage is reused
  head.clear();
  std::string status;
  bool ends_stream = false;
  {
    std::lock_guard lock(head_mutex_);
    status = std::to_string(status_);
    no_body_ = method_ == "HEAD" || status_ == 204 || status_ == 304 || status_ < 200;
    declared_length_ = declared_length_locked();  // the head is fixed from here on
    ends_stream = body_done_ && pieces_.empty() && response_trailers_.empty();
    head.push_back(nv(":status", status));
    for (const auto& [name, value] : response_fields_) head.push_back(nv(name, value));
    enter(ends_stream ? Http2ResponsePhase::BodyEnded : Http2ResponsePhase::HeadSubmitted);
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = read_response_cb;
  int rv = nghttp2_submit_response(session_.ng(), id_, head.data(), head.size(),
                                   ends_stream ? nullptr : &provider);
  if (rv != 0) {
    spdlog::warn("HTTP/2 stream {} from {}: the response head was refused: {}", id_,
                 session_.endpoints().peer, nghttp2_strerror(rv));
    send_reset(NGHTTP2_INTERNAL_ERROR);
  }
  session_.want_send();
}

// ------------------------------------------------------------ the response body

void Http2Stream::write_body(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) {
  on_strand(
      [this, owned = std::string(static_cast<const char*>(data), len), cb, ctx, len]() mutable {
        append(std::move(owned), {}, {cb, ctx, len});
      });
}

void Http2Stream::write_body_borrowed(const void* data, std::size_t len, ancm_io_callback cb,
                                      void* ctx) {
  on_strand([this, data, len, cb, ctx] {
    append({}, std::string_view(static_cast<const char*>(data), len), {cb, ctx, len});
  });
}

bool Http2Stream::writable() const {
  return (in_handler() || tunnel_open()) && !facts_.closed && !session_.dead() &&
         (response_ == Http2ResponsePhase::HeadOpen ||
          response_ == Http2ResponsePhase::HeadSubmitted);
}

void Http2Stream::append(std::string owned, std::string_view borrowed, IoCallback done) {
  if (!writable()) {
    return post_callback(done, facts_.closed || session_.dead() ? -ECONNRESET : -EINVAL, 0);
  }
  // More than the declared Content-Length is refused, as HTTP/1 does (and
  // Kestrel): nghttp2 would send it and the client reset the stream.
  std::size_t len = owned.size() + borrowed.size();
  if (auto declared = enforced_length(); declared && body_written_ + len > *declared) {
    return post_callback(done, -EMSGSIZE, 0);
  }
  body_written_ += len;
  session_.watch_flow();
  pieces_.push_back(Piece{std::move(owned), borrowed, done});
  if (borrowed.empty()) pieces_.back().bytes = pieces_.back().owned;
  if (response_ == Http2ResponsePhase::HeadOpen) return submit_head();
  resume_response();
}

// The Content-Length the response declared, when its body is sent at all
// (not for HEAD, 1xx, 204, 304: those carry no body whatever is written).
// Once the head went to nghttp2 it no longer changes: submit_head kept the
// answer. (response_ moves only on the strand, where this runs.)
std::optional<uint64_t> Http2Stream::enforced_length() {
  if (response_ != Http2ResponsePhase::HeadOpen) return declared_length_;
  std::lock_guard lock(head_mutex_);
  return declared_length_locked();
}

std::optional<uint64_t> Http2Stream::declared_length_locked() const {
  if (method_ == "HEAD" || status_ == 204 || status_ == 304 || status_ < 200) return std::nullopt;
  for (const auto& [name, value] : response_fields_) {
    if (name != "content-length") continue;
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec == std::errc{} && end == value.data() + value.size()) return length;
  }
  return std::nullopt;
}

bool Http2Stream::ends_short() {
  auto declared = enforced_length();
  return declared && body_written_ < *declared;
}

void Http2Stream::flush(ancm_io_callback cb, void* ctx) {
  on_strand([this, cb, ctx] {
    if (!in_handler()) return post_callback({cb, ctx}, -EINVAL, 0);
    if (facts_.closed || session_.dead()) return post_callback({cb, ctx}, -ECONNRESET, 0);
    if (response_ == Http2ResponsePhase::HeadOpen) submit_head();
    session_.after_write({cb, ctx, 0});
    session_.want_send();
  });
}

void Http2Stream::resume_response() {
  if (deferred_) {
    deferred_ = false;
    nghttp2_session_resume_data(session_.ng(), id_);
  }
  session_.want_send();
}

// Copies queued pieces into the DATA frame nghttp2 builds. A piece's
// callback runs once the write that carries its last byte is done.
ssize_t Http2Stream::read_response(uint8_t* buf, std::size_t len, uint32_t* flags) {
  std::size_t n = 0;
  stall_noticed_ = false;  // nghttp2 asks for bytes: the window is open
  while (n < len && !pieces_.empty()) {
    auto& piece = pieces_.front();
    std::size_t take = std::min(len - n, piece.bytes.size() - piece_offset_);
    if (no_body_) {
      take = piece.bytes.size() - piece_offset_;  // HEAD, 204, 304: no body goes out
    } else {
      std::memcpy(buf + n, piece.bytes.data() + piece_offset_, take);
      n += take;
    }
    piece_offset_ += take;
    if (piece_offset_ < piece.bytes.size()) break;
    session_.after_write(piece.done);
    pieces_.pop_front();
    piece_offset_ = 0;
  }
  if (pieces_.empty() && body_done_) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    std::lock_guard lock(head_mutex_);
    if (!response_trailers_.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<nghttp2_nv> trailers;
      for (const auto& [name, value] : response_trailers_) trailers.push_back(nv(name, value));
      nghttp2_submit_trailer(session_.ng(), id_, trailers.data(), trailers.size());
    }
    enter(Http2ResponsePhase::BodyEnded);
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

// ------------------------------------------------------------ the end of the request

void Http2Stream::complete() {
  on_strand([this] {
    if (!in_handler()) return;
    // The request ends; its tunnel goes on until stream_close.
    if (tunnel_open()) return end_request();
    body_done_ = true;
    if (writable()) {
      // Ending cleanly short of the declared Content-Length would let the
      // client take a truncated body as whole: a reset tells it the truth.
      if (ends_short()) {
        send_reset(NGHTTP2_INTERNAL_ERROR);
      } else if (response_ == Http2ResponsePhase::HeadOpen) {
        submit_head();
      } else {
        resume_response();
      }
    }
    end_request();
  });
}

void Http2Stream::abort() { reset(NGHTTP2_INTERNAL_ERROR); }

void Http2Stream::reset(uint32_t error_code) {
  on_strand([this, error_code] {
    if (!in_handler()) return;
    send_reset(error_code);
    end_request();
  });
}

void Http2Stream::send_reset(uint32_t error_code) {
  if (!facts_.closed && !session_.dead()) {
    nghttp2_submit_rst_stream(session_.ng(), NGHTTP2_FLAG_NONE, id_, error_code);
    session_.want_send();
  }
  std::lock_guard lock(head_mutex_);
  if (response_ != Http2ResponsePhase::Reset) enter(Http2ResponsePhase::Reset);
}

// The handler is done: a read still pending ends cancelled, what it did not
// read goes back to the connection's window, on_disconnect hears 0.
void Http2Stream::end_request() {
  observe_end();
  enter(Http2RequestPhase::Ended);
  // An open tunnel keeps its read and its bytes (stream_close ends them).
  if (!tunnel_open()) {
    if (reading_) {
      reading_ = false;
      post_callback(pending_read_, -ECANCELED, 0);
    }
    if (!facts_.closed) nghttp2_session_consume(session_.ng(), id_, body_.size() - body_offset_);
    body_.clear();
    body_offset_ = 0;
  }
  notify(0);
  session_.request_ended(*this);
}

// The request's line in the access log and its count in the metrics: once
// for a handler's request (end_request), once for a head the server refused.
void Http2Stream::observe_end(bool answered_by_host) {
  const auto* observer = session_.context().observer;
  if (!observer) return;
  int status = answered_status_;
  if (status == 0) {
    std::lock_guard lock(head_mutex_);
    status = status_;
  }
  observer->request_ended(*this,
                          {.status = status,
                           .substatus = handle_.substatus.exchange(0, std::memory_order_relaxed),
                           .bytes_received = body_received_,
                           .bytes_sent = body_written_,
                           .started = started_,
                           .answered_by_host = answered_by_host});
}

// The response's END_STREAM went out while the client still sends a body
// nobody will read: RST_STREAM NO_ERROR tells it to stop (RFC 9113 8.1).
void Http2Stream::on_last_frame_sent() {
  bool body_unwanted = (phase_ == Http2RequestPhase::Ended && !tunnel_open()) ||
                       phase_ == Http2RequestPhase::Refused || body_failure_ != 0 ||
                       tunnel_ == Http2TunnelPhase::Closed;
  if (!facts_.remote_ended && !facts_.closed && body_unwanted) {
    nghttp2_submit_rst_stream(session_.ng(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
    session_.want_send();
  }
}

// nghttp2 closed the stream: after both END_STREAMs, a reset either way, or
// the connection's end. A handler still serving it hears client_gone = 1.
void Http2Stream::on_close(uint32_t error_code) {
  facts_.closed = true;
  if (error_code != NGHTTP2_NO_ERROR || session_.dead()) facts_.client_reset = true;
  std::size_t unread = body_.size() - body_offset_;
  if (unread > 0 && !session_.dead()) nghttp2_session_consume_connection(session_.ng(), unread);
  fail_writes(-ECONNRESET);
  if (facts_.client_reset && body_failure_ == 0 && (in_handler() || tunnel_open())) {
    body_failure_ = -ECONNRESET;
  }
  fill_pending_read();
  if (in_handler() && facts_.client_reset) notify(1);
}

void Http2Stream::fail_writes(int status) {
  for (auto& piece : pieces_) post_callback(piece.done, status, 0);
  pieces_.clear();
  piece_offset_ = 0;
}

// A client that never opens its window would hold the handler's writes (and
// the handler) forever. CANCEL, not FLOW_CONTROL_ERROR: the client broke no
// rule of the protocol, the server just no longer wants the stream.
bool Http2Stream::check_window_stall() {
  if (pieces_.empty() || facts_.closed || session_.dead()) return stall_noticed_ = false;
  auto window = std::min(nghttp2_session_get_stream_remote_window_size(session_.ng(), id_),
                         nghttp2_session_get_remote_window_size(session_.ng()));
  if (window > 0) {
    stall_noticed_ = false;
    return true;  // bytes still queued: watched on
  }
  if (!std::exchange(stall_noticed_, true)) return true;
  spdlog::debug("HTTP/2 stream {} from {}: the client kept its window shut past io_timeout", id_,
                session_.endpoints().peer);
  send_reset(NGHTTP2_CANCEL);
  return false;
}

// As HTTP/1.1's io_timeout on a body read: a read that saw no DATA through
// a whole check period is given up, the stream reset (CANCEL) and the read
// failed with it.
bool Http2Stream::check_read_stall() {
  bool waiting = reading_ && !facts_.closed && !session_.dead();
  bool progressed = std::exchange(body_checked_, body_received_) != body_received_;
  if (!waiting || progressed) {
    read_stall_noticed_ = false;
    return waiting;
  }
  if (!std::exchange(read_stall_noticed_, true)) return true;
  spdlog::debug("HTTP/2 stream {} from {}: no request body for the handler's read past io_timeout",
                id_, session_.endpoints().peer);
  read_stall_noticed_ = false;
  send_reset(NGHTTP2_CANCEL);
  return false;
}

bool Http2Stream::recyclable() const {
  return facts_.closed && !tunnel_open() &&
         (phase_ == Http2RequestPhase::Ended || phase_ == Http2RequestPhase::ReceivingHead ||
          phase_ == Http2RequestPhase::Refused);
}

void Http2Stream::recycle() {
  enter(Http2RequestPhase::Free);
  if (tunnel_ == Http2TunnelPhase::Closed) enter(Http2TunnelPhase::None);
  {
    std::lock_guard lock(head_mutex_);
    if (response_ != Http2ResponsePhase::NotStarted) enter(Http2ResponsePhase::NotStarted);
    status_ = 200;
    declared_length_.reset();
    response_fields_.clear();
    response_trailers_.clear();
  }
  method_.clear();
  target_.clear();
  scheme_.clear();
  authority_.clear();
  protocol_.clear();
  fields_.clear();
  header_spans_.clear();
  trailer_fields_.clear();
  trailer_spans_.clear();
  body_.clear();
  body_offset_ = 0;
  id_ = 0;
}

// ------------------------------------------------------------ callbacks and state

void Http2Stream::on_disconnect(ancm_disconnect_callback cb, void* ctx) {
  on_strand([this, cb, ctx] {
    if (!in_handler()) return asio::post(session_.strand(), [cb, ctx] { cb(ctx, 0); });
    if (facts_.client_reset) return asio::post(session_.strand(), [cb, ctx] { cb(ctx, 1); });
    disconnect_cb_ = cb;
    disconnect_ctx_ = ctx;
  });
}

void Http2Stream::notify(int client_gone) {
  auto cb = std::exchange(disconnect_cb_, nullptr);
  if (!cb) return;
  asio::post(session_.strand(), [cb, ctx = disconnect_ctx_, client_gone] { cb(ctx, client_gone); });
}

void Http2Stream::post_callback(IoCallback cb, int status, std::size_t bytes) {
  if (!cb.fn) return;
  asio::post(session_.strand(), [cb, status, bytes] { cb.fn(cb.ctx, status, bytes); });
}

// A move the table lacks is a bug: logged, not made, and the stream is reset.
void Http2Stream::enter(Http2RequestPhase to) {
  common::checked_move(phase_, to, [&](auto from, auto next) {
    spdlog::error("HTTP/2 stream {} from {}: illegal request phase transition {} -> {}", id_,
                  session_.endpoints().peer, from, next);
  });
}

void Http2Stream::enter(Http2TunnelPhase to) {
  common::checked_move(tunnel_, to, [&](auto from, auto next) {
    spdlog::error("HTTP/2 stream {} from {}: illegal tunnel phase transition {} -> {}", id_,
                  session_.endpoints().peer, from, next);
  });
}

void Http2Stream::enter(Http2ResponsePhase to) {
  common::checked_move(response_, to, [&](auto from, auto next) {
    spdlog::error("HTTP/2 stream {} from {}: illegal response phase transition {} -> {}", id_,
                  session_.endpoints().peer, from, next);
  });
}

}  // namespace ancm::server
