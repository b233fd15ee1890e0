#include "upstream_h2_session.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <utility>

#include "ancm/common/checked_move.h"
#include "upstream_h2_callbacks.h"
#include "upstream_h2_stream.h"

namespace ancm::outofproc {
namespace asio = boost::asio;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kReadBuffer = 32 * 1024;
// One socket write gathers at most this much of nghttp2's output.
constexpr std::size_t kWriteBatch = 64 * 1024;

common::Nghttp2SessionPtr new_client_session(void* user_data) {
  CallbacksPtr callbacks = H2Callbacks::make();
  nghttp2_option* raw_option = nullptr;
  if (!callbacks || nghttp2_option_new(&raw_option) != 0) return nullptr;
  common::Nghttp2OptionPtr option(raw_option);
  // The window reopens only as the owner relays the bytes (consume).
  nghttp2_option_set_no_auto_window_update(option.get(), 1);
  // A child is trusted more than a client, not blindly: a broken one must
  // not flood us with SETTINGS or CONTINUATION, nor queue acks we cannot send.
  common::limit_http2_floods(option.get());
  // Until the child's SETTINGS say how many streams it takes, one: more could
  // be refused (Kestrel's limit is 100, a child's may be lower), and its
  // SETTINGS come first thing on the connection.
  nghttp2_option_set_peer_max_concurrent_streams(option.get(), 1);
  nghttp2_session* session = nullptr;
  if (nghttp2_session_client_new2(&session, callbacks.get(), user_data, option.get()) != 0) {
    return nullptr;
  }
  return common::Nghttp2SessionPtr(session);
}

std::vector<nghttp2_nv> name_values(const H2Fields& fields) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nva;
}

}  // namespace

std::shared_ptr<UpstreamH2Session> UpstreamH2Session::start(const Executor& executor, Target target,
                                                            Logger log, H2Limits limits) {
  auto session =
      std::make_shared<UpstreamH2Session>(Key{}, executor, target, std::move(log), limits);
  asio::post(session->strand_, [session] { session->connect(); });
  return session;
}

UpstreamH2Session::UpstreamH2Session(Key, const Executor& executor, Target target, Logger log,
                                     H2Limits limits)
    : strand_(asio::make_strand(executor)),
      socket_(strand_),
      target_(target),
      log_(std::move(log)),
      limits_(limits),
      session_(new_client_session(this)),
      write_timer_(strand_),
      input_(kReadBuffer) {}

UpstreamH2Session::~UpstreamH2Session() = default;

std::string UpstreamH2Session::describe() const {
  return "HTTP/2 connection to the application process " + std::to_string(target_.pid) +
         " on port " + std::to_string(target_.port);
}

// ------------------------------------------------------------------ public calls

UpstreamH2Session::StreamKey UpstreamH2Session::open_stream(H2RequestHead head,
                                                            std::shared_ptr<UpstreamH2Sink> sink) {
  auto stream = std::make_unique<Stream>();
  stream->key = next_key_++;
  stream->head = std::move(head);
  stream->sink = std::move(sink);
  StreamKey key = stream->key;
  asio::post(strand_, [self = shared_from_this(), stream = std::move(stream)]() mutable {
    Stream& added = *stream;
    self->streams_.emplace(added.key, std::move(stream));
    self->submit(added);
  });
  return key;
}

void UpstreamH2Session::send_body(StreamKey key, std::string piece, bool last, H2Fields trailers) {
  asio::post(strand_, [self = shared_from_this(), key, piece = std::move(piece), last,
                       trailers = std::move(trailers)]() mutable {
    auto it = self->streams_.find(key);
    if (it == self->streams_.end()) return;  // ended meanwhile: on_stream_end told its owner
    Stream& stream = *it->second;
    // Owners send a piece once the last was taken; the one exception is a
    // tunnel's end (an empty last piece) while its last bytes still wait for
    // the child's window: they go first, not lost.
    if (stream.body_offset < stream.body.size()) {
      stream.body.erase(0, stream.body_offset);
      stream.body += piece;
    } else {
      stream.body = std::move(piece);
    }
    stream.body_offset = 0;
    stream.body_last = last;
    stream.trailers = std::move(trailers);
    if (stream.body_deferred && stream.id > 0) {
      stream.body_deferred = false;
      nghttp2_session_resume_data(self->session_.get(), stream.id);
    }
    self->flush();
  });
}

void UpstreamH2Session::consume(StreamKey key, std::size_t bytes) {
  asio::post(strand_, [self = shared_from_this(), key, bytes] {
    auto it = self->streams_.find(key);
    if (it == self->streams_.end() || !self->session_) return;  // closed: given back then
    Stream& stream = *it->second;
    stream.unconsumed -= std::min(bytes, stream.unconsumed);
    nghttp2_session_consume(self->session_.get(), stream.id, bytes);
    self->flush();
  });
}

void UpstreamH2Session::cancel(StreamKey key, std::uint32_t error_code) {
  asio::post(strand_, [self = shared_from_this(), key, error_code] {
    auto it = self->streams_.find(key);
    if (it == self->streams_.end()) return;
    if (it->second->id <= 0) return self->drop_unsent(key, error_code);
    nghttp2_submit_rst_stream(self->session_.get(), NGHTTP2_FLAG_NONE, it->second->id, error_code);
    self->flush();
  });
}

// A stream cancelled before it went out (an extended CONNECT waiting for the
// child's SETTINGS): it never will, and its owner hears so now, as it would
// of a reset one.
void UpstreamH2Session::drop_unsent(StreamKey key, std::uint32_t error_code) {
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  std::erase(awaiting_settings_, key);
  auto sink = it->second->sink;
  streams_.erase(it);
  sink->on_stream_end(
      {error_code, true, false, false, describe() + ": cancelled before it was sent"});
}

void UpstreamH2Session::close() {
  asio::post(strand_, [self = shared_from_this()] { self->fail("the application is stopping"); });
}

// ------------------------------------------------------------------ connection

void UpstreamH2Session::connect() {
  if (!session_) return fail("nghttp2 could not create a client session");
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(limits_.stream_window)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<std::uint32_t>(limits_.max_response_header_bytes)},
  };
  nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_.get(), NGHTTP2_FLAG_NONE, 0,
                                        limits_.connection_window);
  asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), target_.port);
  socket_.async_connect(endpoint,
                        asio::bind_executor(strand_, [self = shared_from_this()](error_code ec) {
                          self->on_connected(ec);
                        }));
}

void UpstreamH2Session::on_connected(const error_code& ec) {
  if (phase_ != H2SessionPhase::Connecting) return;  // closed meanwhile
  if (ec) return fail("could not connect: " + ec.message());
  if (!enter(H2SessionPhase::Open)) return;
  socket_.set_option(asio::ip::tcp::no_delay(true));
  read();
  flush();
}

void UpstreamH2Session::submit(Stream& stream) {
  if (phase_ == H2SessionPhase::Closed || phase_ == H2SessionPhase::Draining) {
    auto sink = stream.sink;
    streams_.erase(stream.key);
    bool lost = phase_ == H2SessionPhase::Closed;  // the child may be gone
    return sink->on_stream_end(
        {NGHTTP2_REFUSED_STREAM, true, lost, false, describe() + " takes no new streams"});
  }
  if (stream.head.extended_connect) {
    // RFC 8441 section 3: :protocol only to a peer whose SETTINGS allowed it,
    // and they come first on the connection; until then the stream waits.
    if (!settings_received_) return awaiting_settings_.push_back(stream.key);
    if (nghttp2_session_get_remote_settings(session_.get(),
                                            NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL) != 1) {
      return refuse_extended_connect(stream);
    }
  }
  std::vector<nghttp2_nv> nva = name_values(stream.head.fields);
  nghttp2_data_provider body{};
  body.source.ptr = &stream;
  body.read_callback = &H2Callbacks::read_body;
  std::int32_t id = nghttp2_submit_request(session_.get(), nullptr, nva.data(), nva.size(),
                                           stream.head.has_body ? &body : nullptr, &stream);
  stream.head = {};
  if (id < 0) {
    auto sink = stream.sink;
    streams_.erase(stream.key);
    sink->on_stream_end({NGHTTP2_REFUSED_STREAM, true, false, false,
                         describe() + ": no new stream (" + nghttp2_strerror(id) + ")"});
    return fail("no stream ids left");  // a new session takes the next requests
  }
  stream.id = id;
  if (phase_ == H2SessionPhase::Open) flush();
}

// Never sent: the child would reset it, or worse take it for a plain CONNECT.
void UpstreamH2Session::refuse_extended_connect(Stream& stream) {
  auto sink = stream.sink;
  streams_.erase(stream.key);
  sink->on_stream_end({NGHTTP2_REFUSED_STREAM, false, false, true,
                       describe() + ": its SETTINGS do not allow extended CONNECT "
                                    "(no SETTINGS_ENABLE_CONNECT_PROTOCOL = 1)"});
}

void UpstreamH2Session::read() {
  socket_.async_read_some(
      asio::buffer(input_),
      asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, std::size_t bytes) {
        self->on_read(ec, bytes);
      }));
}

void UpstreamH2Session::on_read(const error_code& ec, std::size_t bytes) {
  if (phase_ == H2SessionPhase::Closed) return;
  if (ec) return fail(ec == asio::error::eof ? "the application closed it" : ec.message());
  ssize_t used = nghttp2_session_mem_recv(session_.get(), input_.data(), bytes);
  if (used < 0)
    return fail(std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(used)));
  flush();
  if (phase_ != H2SessionPhase::Closed) read();
}

// Writes what nghttp2 has to send, one batch at a time.
void UpstreamH2Session::flush() {
  if (writing_ || phase_ == H2SessionPhase::Connecting || phase_ == H2SessionPhase::Closed) return;
  if (orphaned_bytes_ > 0) {
    nghttp2_session_consume_connection(session_.get(), std::exchange(orphaned_bytes_, 0));
  }
  output_.clear();
  while (output_.size() < kWriteBatch) {
    const std::uint8_t* data = nullptr;
    ssize_t size = nghttp2_session_mem_send(session_.get(), &data);
    if (size < 0)
      return fail(std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(size)));
    if (size == 0) break;
    output_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
  }
  if (output_.empty()) return close_if_done();
  writing_ = true;
  // A child that stops reading (its TCP window shut) would hold every stream
  // of the connection: past the write timeout the connection fails instead.
  write_timer_.expires_after(limits_.write_timeout);
  write_timer_.async_wait(asio::bind_executor(
      strand_, [self = shared_from_this()](error_code ec) { self->on_write_timeout(ec); }));
  asio::async_write(
      socket_, asio::buffer(output_),
      asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, std::size_t) {
        self->on_written(ec);
      }));
}

void UpstreamH2Session::on_written(const error_code& ec) {
  writing_ = false;
  write_timer_.cancel();
  if (phase_ == H2SessionPhase::Closed) return;
  if (ec) return fail("could not write: " + ec.message());
  flush();
}

// Cancelled (the write ended) or stale (a later write re-armed it and this
// wait was already queued): only an expiry during a write counts.
void UpstreamH2Session::on_write_timeout(const error_code& ec) {
  if (ec || !writing_ || write_timer_.expiry() > std::chrono::steady_clock::now()) return;
  if (phase_ == H2SessionPhase::Closed) return;
  fail("a write stalled for " + std::to_string(limits_.write_timeout.count()) +
       " ms: the application is not reading");
}

// After GOAWAY, nghttp2 wants neither to read nor to write once the last
// stream ended: the connection is done.
void UpstreamH2Session::close_if_done() {
  if (nghttp2_session_want_read(session_.get()) || nghttp2_session_want_write(session_.get())) {
    return;
  }
  fail("the application ended the connection (GOAWAY) and its last stream is done");
}

void UpstreamH2Session::fail(const std::string& why) {
  accepting_ = false;
  if (phase_ == H2SessionPhase::Closed || !enter(H2SessionPhase::Closed)) return;
  log_(ANCM_LOG_INFO, describe() + " closed: " + why);
  write_timer_.cancel();
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  end_all_streams(describe() + " failed: " + why);
}

// Every stream still open ends as failed; one whose HEADERS never went out
// never reached the app and may go again on another connection.
void UpstreamH2Session::end_all_streams(const std::string& why) {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [key, stream] : streams) {
    stream->sink->on_stream_end({NGHTTP2_INTERNAL_ERROR, !stream->headers_sent, true, false, why});
  }
}

bool UpstreamH2Session::enter(H2SessionPhase to) {
  return common::checked_move(phase_, to, [&](auto from, auto next) {
    log_(ANCM_LOG_ERROR, describe() + ": illegal session phase transition " + std::string(from) +
                             " -> " + std::string(next));
  });
}

// ------------------------------------------------------------------ nghttp2 events

// Each field costs its bytes plus 32, as SETTINGS_MAX_HEADER_LIST_SIZE counts
// (RFC 9113 §6.5.2); the head and trailers of a response count together.
bool UpstreamH2Session::on_stream_header(Stream& stream, std::string_view name,
                                         std::string_view value) {
  constexpr std::size_t kFieldOverhead = 32;
  stream.header_bytes += name.size() + value.size() + kFieldOverhead;
  if (stream.header_bytes > limits_.max_response_header_bytes) {
    stream.failure = describe() + ": stream " + std::to_string(stream.id) +
                     ": the response's header fields passed the limit of " +
                     std::to_string(limits_.max_response_header_bytes) + " bytes";
    log_(ANCM_LOG_WARNING, stream.failure);
    return false;
  }
  if (name == ":status") {
    std::from_chars(value.data(), value.data() + value.size(), stream.status);
    return true;
  }
  stream.fields.emplace_back(std::string(name), std::string(value));
  return true;
}

// A HEADERS block ended: an interim head (skipped), the final head, or the
// trailers.
void UpstreamH2Session::on_stream_headers_done(Stream& stream, bool end_stream) {
  H2Fields fields = std::move(stream.fields);
  stream.fields.clear();
  if (!stream.head_relayed) {
    if (stream.status >= 100 && stream.status < 200) return;
    stream.head_relayed = true;
    stream.sink->on_response_head(stream.status, std::move(fields));
    if (end_stream) stream.sink->on_response_end({});
    return;
  }
  stream.sink->on_response_end(std::move(fields));
}

void UpstreamH2Session::on_stream_data(Stream& stream, const std::uint8_t* data, std::size_t size) {
  stream.unconsumed += size;
  stream.sink->on_response_data(std::string(reinterpret_cast<const char*>(data), size));
}

void UpstreamH2Session::on_stream_data_end(Stream& stream) { stream.sink->on_response_end({}); }

void UpstreamH2Session::on_stream_closed(Stream& stream, std::uint32_t error_code) {
  orphaned_bytes_ += stream.unconsumed;
  bool unprocessed = error_code == NGHTTP2_REFUSED_STREAM || !stream.headers_sent;
  std::string why = std::move(stream.failure);
  if (why.empty() && error_code != NGHTTP2_NO_ERROR) {
    why = describe() + ": stream " + std::to_string(stream.id) + " reset (" +
          nghttp2_http2_strerror(error_code) + ")";
  }
  auto sink = std::move(stream.sink);
  streams_.erase(stream.key);
  sink->on_stream_end({error_code, unprocessed, false, false, std::move(why)});
}

void UpstreamH2Session::on_goaway(std::uint32_t error_code) {
  accepting_ = false;
  if (phase_ == H2SessionPhase::Open && !enter(H2SessionPhase::Draining)) return;
  log_(ANCM_LOG_INFO, describe() + ": the application sent GOAWAY (" +
                          nghttp2_http2_strerror(error_code) + "); new requests take a new one");
}

// The child's SETTINGS (not an ACK): extended CONNECTs that waited for them
// are judged now, in the order they came.
// Posted: this runs inside nghttp2_session_mem_recv, and submit may write.
void UpstreamH2Session::on_settings() {
  if (settings_received_) return;
  settings_received_ = true;
  asio::post(strand_, [self = shared_from_this()] {
    for (StreamKey key : std::exchange(self->awaiting_settings_, {})) {
      auto it = self->streams_.find(key);
      if (it != self->streams_.end()) self->submit(*it->second);
    }
  });
}

ssize_t UpstreamH2Session::read_body(Stream& stream, std::uint8_t* buffer, std::size_t size,
                                     std::uint32_t* flags) {
  std::size_t left = stream.body.size() - stream.body_offset;
  if (left == 0 && !stream.body_last) {
    stream.body_deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  std::size_t n = std::min(left, size);
  std::memcpy(buffer, stream.body.data() + stream.body_offset, n);
  stream.body_offset += n;
  if (stream.body_offset < stream.body.size()) return static_cast<ssize_t>(n);
  if (!stream.body_last) {
    stream.body.clear();
    stream.body_offset = 0;
    stream.sink->on_body_taken();
    return static_cast<ssize_t>(n);
  }
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (!stream.trailers.empty()) {
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    std::vector<nghttp2_nv> nva = name_values(stream.trailers);
    nghttp2_submit_trailer(session_.get(), stream.id, nva.data(), nva.size());
  }
  return static_cast<ssize_t>(n);
}

}  // namespace ancm::outofproc
