#include "connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>

#include "ancm/abi_strings.h"
#include "ancm/common/ascii.h"
#include "ancm/common/checked_move.h"
#include "observe/request_observer.h"
#include "parser_agreement.h"

namespace ancm::server {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using beast::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// Body bytes a connection reads ahead of the handler's body reads, where a
// body read cannot fetch more itself (TLS, chunked): enough to overlap the
// next socket read with the handler's work on the last piece, not the whole
// buffer bound (256 uploads at once each held ~64 KiB here). A cleartext
// Content-Length body reads ahead less (body_read_ahead).
constexpr std::size_t kBodyReadAhead = 2 * kReadChunk;
// What a read takes at once when no body is coming: a head, or the watch
// waiting for the next head or for the client leaving. Heads are short; a
// larger one takes more reads (nginx starts with 1 KiB), and no connection
// holds 16 KiB for a few hundred bytes while it waits.
constexpr std::size_t kHeadChunk = 4 * 1024;
// How far the watch reads ahead of a body that tops up (a cleartext
// Content-Length body): the body read takes the rest from the socket itself,
// so the watch's read only has to wake it. 256 uploads at once each held 4
// KiB here; nginx reads a body with no read-ahead at all.
constexpr std::size_t kTopUpReadAhead = 1024;
constexpr std::size_t kMaxDiscardedBody = 1024 * 1024;
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr auto kDrainIdleGrace = std::chrono::seconds(1);

// What a connection may hold unparsed: a whole head plus reads in flight.
// Beast sets no bound on a chunk-size line or on trailers: past this, the
// parser stops with buffer_overflow (400) instead of the worker's memory growing.
std::size_t max_buffered(const HttpLimits& limits) {
  return limits.max_header_bytes + 2 * kReadChunk;
}

}  // namespace

Connection::Connection(Strand strand, ClientStream stream, const ConnectionContext& context,
                       std::string_view initial_bytes, FirstHeadDeadline first_head)
    : strand_(std::move(strand)),
      stream_(std::move(stream)),
      timer_(strand_),
      context_(context),
      buffer_(max_buffered(context.limits)),
      first_head_(first_head),
      // Reported under the writer's head lock, so the close waits for the
      // next strand turn: it may run the handler's release function, which
      // must not run under a lock of ours.
      writer_([this](std::string_view from, std::string_view to) {
        log_illegal("response progress", from, to);
        asio::post(strand_, [self = shared_from_this()] { self->close(); });
      }) {
  handle_.owner = this;
  endpoints_ = stream_.endpoints();
  buffer_.commit(asio::buffer_copy(buffer_.prepare(initial_bytes.size()),
                                   asio::buffer(initial_bytes.data(), initial_bytes.size())));
}

int Connection::tls_info(ancm_tls_info* out) const { return stream_.tls_info(out); }

Connection::~Connection() {
  if (context_.registry) context_.registry->remove(this);
}

void Connection::start() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->read_next_request(); });
}

// An idle keep-alive connection is not closed at once: a client may be
// sending its next request right now, and closing would fail it. That request
// is answered with "Connection: close"; a connection silent for the grace
// period is closed.
void Connection::drain() {
  asio::post(strand_, [self = shared_from_this()] {
    self->reuse_.draining = true;
    if (self->is_idle() && !self->dead()) self->arm_timer(kDrainIdleGrace);
  });
}

// ------------------------------------------------------------ reading requests

void Connection::read_next_request() {
  if (dead()) return close();
  // The last request's head goes with its parser; the arena starts over in
  // head_space_.
  parser_.reset();
  head_arena_.release();
  parser_.emplace(std::piecewise_construct, std::make_tuple(),
                  std::make_tuple(HeadAllocator(&head_arena_)));
  parser_->header_limit(static_cast<std::uint32_t>(context_.limits.max_header_bytes));
  parser_->body_limit(context_.limits.max_body_bytes);
  if (buffer_.size() > 0) return read_header();
  enter(ConnectionPhase::Idle);
  arm_timer(idle_timeout());
  watch_connection();
}

// Waits for bytes from the client. Between requests this is the idle wait.
// During a request it is the connection's only reader: it notices the client
// going away in every state (waiting for the body, the handler busy, the
// response going out), and brings the body bytes a body read parses from the
// buffer. It pauses while the buffer is full, until the handler reads.
// A read, not a readiness wait: with edge-triggered epoll Asio re-arms a wait
// with epoll_ctl each time, which costs more than the read that finds nothing.
void Connection::watch_connection() {
  if (io_.watching || dead() || phase_ == ConnectionPhase::Upgrading ||
      phase_ == ConnectionPhase::Upgraded) {
    return;
  }
  // Between requests, buffered bytes are the next request's: parsed first.
  if (!in_request() && buffer_.size() > 0) return;
  // A body read waiting for more (a long chunk-size line, trailers) may fill
  // the buffer to its bound; otherwise the watch reads only so far ahead. A
  // body that tops up takes the rest from the socket itself, so the watch
  // only wakes its read, with a short read, whether a read waits or not.
  std::size_t limit = buffer_.max_size();
  if (in_request() && (body_read_ != BodyRead::Reading || body_tops_up())) {
    limit = std::min(limit, body_read_ahead());
  }
  if (buffer_.size() >= limit) return;
  std::size_t room = limit - buffer_.size();
  io_.watching = true;
  bool body_to_come = in_request() && request_.has_body && !parser_->is_done();
  if (!body_to_come) {
    // Nothing consumes from the buffer meanwhile: the read goes straight in.
    // What a body made grow is given back (this read may be the idle wait).
    incoming_ = std::vector<char>();
    if (buffer_.size() == 0 && buffer_.capacity() > kHeadChunk) buffer_.shrink_to_fit();
    // During a request the response is written before anything needs what
    // this read would tell of a reset queued behind the head: the write
    // reports it, and the read spares its try (a recv per request).
    if (in_request()) stream_.write_follows();
    stream_.async_read_some(buffer_.prepare(std::min(room, kHeadChunk)),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              self->on_watch_read(ec);
                            });
    return;
  }
  // Not into buffer_ itself: a body read may consume from it meanwhile, and a
  // flat_buffer emptied by consume() starts over, away from what was prepared.
  incoming_.resize(std::min(room, kReadChunk));
  stream_.async_read_some(
      asio::buffer(incoming_), [self = shared_from_this()](error_code ec, std::size_t n) {
        self->buffer_.commit(
            asio::buffer_copy(self->buffer_.prepare(n), asio::buffer(self->incoming_.data(), n)));
        self->on_watch_read(ec);
      });
}

void Connection::on_watch_read(error_code ec) {
  io_.watching = false;
  // An upgrade waits for this read to end (cancelled) before its 101 goes
  // out; it answers its callback even if the socket closed meanwhile.
  if (upgrade_cb_) return send_upgrade_head();
  // The request ended while this read was pending; it was cancelled so that
  // the next read (the rest of the body, the next head) can start.
  if (phase_ == ConnectionPhase::Resuming) {
    if (ec && ec != asio::error::operation_aborted) return close();
    return continue_after_request();
  }
  // graceful_close cancelled this read (TLS): the close goes on from here.
  if (phase_ == ConnectionPhase::Closing && ec == asio::error::operation_aborted) {
    return discard_until_eof();
  }
  if (ec) {
    if (in_request()) return client_gone();
    return close();
  }
  if (dead()) return discard_until_eof();
  if (!in_request()) return read_next_request();
  // During a request the bytes (body, or a pipelined request) wait in the buffer.
  if (body_read_ == BodyRead::Reading) return parse_body();
  watch_connection();
}

// A cleartext Content-Length body: a body read takes what the socket holds
// itself (top_up_body), so the watch need not read far ahead of it.
bool Connection::body_tops_up() const { return !stream_.is_tls() && !parser_->chunked(); }

// How far the watch reads a body ahead of the handler's reads.
std::size_t Connection::body_read_ahead() const {
  return body_tops_up() ? kTopUpReadAhead : kBodyReadAhead;
}

// The client went away (or the connection timed out) during a request: a
// pending body read fails, the handler hears of it, the socket closes.
void Connection::client_gone() {
  if (body_read_ == BodyRead::Reading) return end_body_read(completed() ? -ECANCELED : -ECONNRESET);
  notify_disconnect();
  close();
}

void Connection::read_header() {
  enter(ConnectionPhase::ReadingHead);
  arm_timer(first_head_.bound(context_.limits.header_timeout));
  head_scanned_ = 0;
  on_head_bytes();
}

std::string_view Connection::buffered() const {
  return {static_cast<const char*>(buffer_.data().data()), buffer_.size()};
}

HeadLimits Connection::head_limits() const {
  return {context_.limits.max_header_bytes, context_.limits.max_uri_bytes,
          context_.limits.max_body_bytes, context_.limits.max_header_count};
}

// The head is read and checked here, by our own rules (request_head.h),
// before Beast's parser sees it: Beast alone lets through heads that mean
// one thing to it and another to the app's Kestrel.
void Connection::on_head_bytes() {
  auto scan = scan_request_head(buffered(), head_scanned_, head_limits());
  switch (scan.state) {
    case HeadScan::State::Rejected:
      return reject(scan.rejection);
    case HeadScan::State::Complete:
      return on_head(scan);
    case HeadScan::State::Incomplete:
      break;
  }
  buffer_.consume(scan.blank_lines);
  head_scanned_ = scan.searched - scan.blank_lines;
  stream_.async_read_some(buffer_.prepare(kHeadChunk),
                          [self = shared_from_this()](error_code ec, std::size_t n) {
                            self->buffer_.commit(n);
                            // A head cut short by the client has nobody to answer.
                            if (ec) return self->close();
                            self->on_head_bytes();
                          });
}

void Connection::on_head(const HeadScan& scan) {
  disarm_timer();
  first_head_.met();
  auto head_bytes = buffered().substr(scan.blank_lines, scan.end - scan.blank_lines);
  auto parsed = parse_request_head(head_bytes, head_limits());
  if (!parsed.ok()) return reject(parsed.error());
  error_code ec;
  std::size_t used = parser_->put(asio::buffer(head_bytes.data(), head_bytes.size()), ec);
  if (ec == http::error::body_limit) return reject({413, "Content-Length over the body limit"});
  if (ec || used != head_bytes.size() || !parser_->is_header_done()) {
    return reject({400, "request head refused by the HTTP parser"});
  }
  // Both parsers must read the same framing, or the body would mean two things.
  if (!parser_reads_same_framing(parsed.value(), *parser_)) {
    return reject({400, "request framing is ambiguous"});
  }
  buffer_.consume(scan.end);
  dispatch_request();
}

// Everything one request and its response keep, fresh for the next one
// (whether a handler or the server itself answers it).
void Connection::begin_request() {
  enter(ConnectionPhase::InRequest);
  enter(RequestPhase::InHandler);
  writer_.open();
  body_read_ = BodyRead::Idle;
  body_rate_.restart();
  trailer_spans_.clear();
  continue_ = ContinueState::NotExpected;
  disconnect_cb_ = nullptr;
  self_while_in_request_ = shared_from_this();
  head_refused_ = false;
  body_bytes_read_ = 0;
  if (context_.observer) {
    started_ = std::chrono::steady_clock::now();
    context_.observer->connection_busy();
  }
}

// The request's line in the access log and its count in the metrics.
void Connection::observe_end() {
  if (!context_.observer) return;
  context_.observer->request_ended(
      *this, {.status = writer_.status(),
              .substatus = handle_.substatus.exchange(0, std::memory_order_relaxed),
              .bytes_received = body_bytes_read_,
              .bytes_sent = writer_.body_bytes(),
              .started = started_,
              .head_refused = head_refused_});
  context_.observer->connection_idle();
}

void Connection::dispatch_request() {
  const auto& request = parser_->get();
  begin_request();
  request_ = RequestFacts{.version = static_cast<int>(request.version()),
                          .is_head = request.method() == http::verb::head,
                          .has_body = !parser_->is_done(),
                          .length_framed = !parser_->is_done() && !parser_->chunked()};
  reuse_.keep_alive = request.keep_alive();
  if (request_.has_body && request_.version >= 11 &&
      common::iequals(request[http::field::expect], "100-continue")) {
    continue_ = ContinueState::Expected;
  }

  method_ = abi::str(request.method_string());
  target_ = abi::str(request.target());
  std::string_view target(target_.data, target_.len);
  auto question = target.find('?');
  path_ = abi::str(target.substr(0, question));
  query_ = question == std::string_view::npos ? ancm_str{target.data() + target.size(), 0}
                                              : abi::str(target.substr(question + 1));
  header_spans_.clear();
  for (const auto& field : request) {
    header_spans_.push_back({abi::str(field.name_string()), abi::str(field.value())});
  }

  watch_connection();
  context_.sink(current_handle(handle_));
}

// ------------------------------------------------------------ end of the request

void Connection::finish_request() {
  if (!in_request()) return;
  observe_end();
  enter(RequestPhase::None);
  writer_.advance(ResponseProgress::NotStarted);
  // A connection that closed during the request releases the handler's data
  // only now: what connection_data returned stays valid until the request ends.
  if (dead()) handler_data_.close();
  answer_pipe_piece(-ECONNRESET);
  writer_.fail_pending();  // an aborted response leaves writes that never went out
  if (auto cb = std::exchange(disconnect_cb_, nullptr)) cb(disconnect_ctx_, 0);
  auto self = std::move(self_while_in_request_);    // lives to the end of this call
  if (phase_ == ConnectionPhase::Upgraded) return;  // the stream owns the connection now
  if (body_read_ == BodyRead::Reading) {
    // The handler ended its request while a body read waited for bytes: the
    // read ends cancelled, and the connection with it.
    fail_body_read(-ECANCELED);
    reuse_.keep_alive = false;
    pending_read_.fn(pending_read_.ctx, -ECANCELED, 0);
  }
  bool body_consumed = !request_.has_body || parser_->is_done();
  // Reading the rest of the body or the next head needs the socket: the
  // watch's read ends first (cancelled) and carries on from there.
  if (io_.watching && !dead() && reuse_.keep_alive && (!body_consumed || buffer_.size() > 0)) {
    enter(ConnectionPhase::Resuming);
    stream_.cancel();
    return;
  }
  continue_after_request();
}

void Connection::continue_after_request() {
  if (dead()) return close();
  // A response that promised keep-alive keeps it, even if draining began
  // meanwhile: the client may already be sending its next request.
  if (!reuse_.keep_alive) return graceful_close();
  if (request_.has_body && !parser_->is_done()) {
    enter(ConnectionPhase::DiscardingBody);
    return discard_body();
  }
  // With nothing buffered, the watch's pending read is the idle wait.
  if (io_.watching) {
    enter(ConnectionPhase::Idle);
    return arm_timer(idle_timeout());
  }
  read_next_request();
}

// The handler answered without reading the whole body: read the rest so the
// connection can carry the next request, up to a bound, else close.
void Connection::discard_body() {
  if (discarded_ > kMaxDiscardedBody) return graceful_close();
  discard_buffer_.resize(kReadChunk);
  arm_timer(context_.limits.io_timeout);
  auto& body = parser_->get().body();
  body.data = discard_buffer_.data();
  body.size = discard_buffer_.size();
  http::async_read_some(stream_, buffer_, *parser_,
                        [self = shared_from_this()](error_code ec, std::size_t) {
                          self->disarm_timer();
                          if (ec && ec != http::error::need_buffer) return self->close();
                          self->discarded_ += kReadChunk - self->parser_->get().body().size;
                          if (!self->parser_->is_done()) return self->discard_body();
                          self->discarded_ = 0;
                          self->discard_buffer_ = std::vector<char>();
                          self->read_next_request();
                        });
}

// A request the server answers itself (400, 405, 413, 414, 431, 501, 505),
// then closes: after a broken head, nothing that follows can be trusted.
void Connection::reject(HeadRejection rejection) {
  spdlog::debug("rejecting a request from {} with {}: {}", endpoints_.peer, rejection.status,
                rejection.rule);
  begin_request();
  head_refused_ = true;       // the spans still name the last request: not logged
  request_ = RequestFacts{};  // HTTP/1.1, no body, not HEAD: the answer's own framing
  writer_.answer_for_handler(rejection.status);
  reuse_.keep_alive = false;
  enter(RequestPhase::Completing);
  schedule_write();
}

// While draining, an idle connection gets a short grace, not the keep-alive
// time; before its first request, no more than what is left of the budget
// from accept.
std::chrono::steady_clock::duration Connection::idle_timeout() const {
  std::chrono::steady_clock::duration timeout = context_.limits.keepalive_timeout;
  if (reuse_.draining) timeout = kDrainIdleGrace;
  return first_head_.bound(timeout);
}

// ------------------------------------------------------------ connection state

// A move the table lacks is a bug: it is not made, the connection closes
// (whatever waits on it then ends the way a closed socket ends it).
void Connection::enter(ConnectionPhase to) {
  common::checked_move(
      phase_, to, [&](auto from, auto next) { report_illegal("connection phase", from, next); });
}

void Connection::enter(RequestPhase to) {
  common::checked_move(request_phase_, to,
                       [&](auto from, auto next) { report_illegal("request phase", from, next); });
}

void Connection::report_illegal(std::string_view what, std::string_view from, std::string_view to) {
  log_illegal(what, from, to);
  close();
}

void Connection::log_illegal(std::string_view what, std::string_view from,
                             std::string_view to) const {
  spdlog::error(
      "connection from {}: illegal {} transition {} -> {} (connection phase {}, request phase "
      "{}); closing the connection",
      endpoints_.peer, what, from, to, name(phase_), name(request_phase_));
}

// During a request the one timer bounds what waits on the client: a write
// in flight and a body read each get io_timeout, and the read no more than
// its body's minimum rate allows (on_timeout tells which ran out). Called
// whenever either starts or ends, so one ending never disarms the other's.
void Connection::arm_request_timer() {
  bool reading = body_read_ == BodyRead::Reading;
  if (!reading && !io_.write_in_flight) return disarm_timer();
  std::chrono::steady_clock::duration timeout = context_.limits.io_timeout;
  // A read still behind its 100 (Continue) does not wait for the body yet.
  bool timed = reading && body_rate_.waiting();
  if (auto left = timed ? body_rate_.time_left(std::chrono::steady_clock::now()) : std::nullopt) {
    timeout = std::min(timeout, *left);
  }
  arm_timer(timeout);
}

void Connection::arm_timer(std::chrono::steady_clock::duration timeout) {
  timer_.arm(timeout, [self = shared_from_this()] { self->on_timeout(); });
}

void Connection::on_timeout() {
  if (body_read_ == BodyRead::Reading && body_rate_.too_slow(std::chrono::steady_clock::now())) {
    return on_body_too_slow();
  }
  spdlog::debug("connection from {} timed out", endpoints_.peer);
  // The keep-alive wait (or a drain's grace) ended: over TLS a clean end,
  // close_notify first (over TCP the close is a FIN, nothing being unread).
  // Any other timeout cuts the connection.
  if (is_idle() && stream_.is_tls()) return graceful_close();
  notify_disconnect();
  close();
}

void Connection::on_disconnect(ancm_disconnect_callback cb, void* ctx) {
  on_strand([self = shared_from_this(), cb, ctx] {
    if (!self->in_request() || self->completed()) return cb(ctx, 0);
    if (self->dead()) return cb(ctx, 1);
    self->disconnect_cb_ = cb;
    self->disconnect_ctx_ = ctx;
  });
}

void Connection::notify_disconnect() {
  if (!in_request() || completed() || !disconnect_cb_) return;
  auto cb = std::exchange(disconnect_cb_, nullptr);
  cb(disconnect_ctx_, 1);
}

void Connection::close() {
  if (phase_ != ConnectionPhase::Closed) enter(ConnectionPhase::Closed);
  timer_.cancel();  // its wait holds the connection
  stream_.close();
  if (!in_request()) handler_data_.close();  // else once the request ends (finish_request)
}

// Closing with unread bytes would reset the connection and could destroy the
// response before the client reads it: send FIN, then discard what comes.
// Over TLS close_notify goes first, from the stream's closer, which needs the
// watch's read ended: it is cancelled (no write is in flight here: a
// connection closes after its last write's completion) and its end comes
// back to discard_until_eof.
void Connection::graceful_close() {
  if (!stream_.is_tls()) {
    stream_.shutdown_send();
  } else if (io_.watching) {
    stream_.cancel();
  }
  enter(ConnectionPhase::Closing);
  // No request follows: what the handler kept for one goes now, or once the
  // current request ends (finish_request).
  if (!in_request()) handler_data_.close();
  arm_timer(kLingerTimeout);
  discard_until_eof();
}

void Connection::discard_until_eof() {
  if (io_.watching) return;  // the pending read ends with EOF and closes
  if (stream_.is_tls()) {
    stream_.close_gracefully(kLingerTimeout);  // the closer discards, apart from this connection
    return close();
  }
  buffer_.clear();
  io_.watching = true;
  stream_.async_read_some(buffer_.prepare(kReadChunk),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                            self->io_.watching = false;
                            if (ec) return self->close();
                            self->discard_until_eof();
                          });
}

}  // namespace ancm::server
