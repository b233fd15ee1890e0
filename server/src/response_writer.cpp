#include "response_writer.h"

#include <boost/beast/http/status.hpp>
#include <cerrno>
#include <utility>

#include "ancm/common/checked_move.h"
#include "ancm/common/trailer_fields.h"

namespace ancm::server {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

ResponseWriter::ResponseWriter(IllegalMoveReport report_illegal)
    : report_illegal_(std::move(report_illegal)) {}

// ------------------------------------------------------------ the head (any thread)

// The head is set from the handler's thread without a hop onto the strand:
// a small lock, open from dispatch until the head is serialised.
int ResponseWriter::set_status(int status, std::string_view reason) {
  if (status < 100 || status > 999 || reason.find_first_of("\r\n") != std::string_view::npos) {
    return -EINVAL;
  }
  std::lock_guard lock(head_mutex_);
  if (progress_ != ResponseProgress::HeadOpen) return -EALREADY;
  head_.status = status;
  head_.reason.assign(reason);
  return 0;
}

int ResponseWriter::add_header(std::string_view name, std::string_view value) {
  std::lock_guard lock(head_mutex_);
  if (progress_ != ResponseProgress::HeadOpen) return -EALREADY;
  return head_.add(name, value) ? 0 : -EINVAL;
}

// Kept until the last chunk: a handler may add them while the body goes out.
int ResponseWriter::add_trailer(std::string_view name, std::string_view value) {
  if (!common::is_allowed_trailer(name, value)) return -EINVAL;
  std::lock_guard lock(head_mutex_);
  if (progress_ != ResponseProgress::HeadOpen && progress_ != ResponseProgress::HeadSent) {
    return -EALREADY;
  }
  trailers_.emplace_back(name, value);
  return 0;
}

int ResponseWriter::status() {
  std::lock_guard lock(head_mutex_);
  return head_.status;
}

std::optional<uint64_t> ResponseWriter::declared_length() {
  std::lock_guard lock(head_mutex_);
  return head_.content_length;
}

// ------------------------------------------------------------ progress (strand)

// The progress is written only on the strand, so the strand reads it unlocked.
bool ResponseWriter::head_sent() const {
  return progress_ == ResponseProgress::HeadSent || progress_ == ResponseProgress::LastChunkSent ||
         progress_ == ResponseProgress::ServerAnswerSent;
}

bool ResponseWriter::answered_by_server() const {
  return progress_ == ResponseProgress::ServerAnswer ||
         progress_ == ResponseProgress::ServerAnswerSent;
}

void ResponseWriter::advance(ResponseProgress to) {
  std::lock_guard lock(head_mutex_);
  advance_locked(to);
}

void ResponseWriter::advance_locked(ResponseProgress to) {
  common::checked_move(progress_, to, report_illegal_);
}

// ------------------------------------------------------------ the queue (strand)

void ResponseWriter::open() {
  {
    std::lock_guard lock(head_mutex_);
    head_.clear();
    trailers_.clear();
    advance_locked(ResponseProgress::HeadOpen);
  }
  body_written_ = 0;
  framing_ = Framing::None;
  continue_queued_ = false;
  // A body copied behind the last head made the write buffer grow; a usual
  // head fits in much less, and idle connections should not keep the rest.
  if (out_.capacity() > kKeptWriteBuffer) out_ = std::string();
}

void ResponseWriter::answer_for_handler(int status) {
  auto reason = std::string(http::obsolete_reason(static_cast<http::status>(status))) + '\n';
  {
    std::lock_guard lock(head_mutex_);
    head_.clear();
    advance_locked(ResponseProgress::ServerAnswer);
    head_.status = status;
    head_.add("Content-Type", "text/plain; charset=utf-8");
    // 405: no method is allowed on a CONNECT target here (RFC 9110 §15.5.6).
    if (status == 405) head_.add("Allow", "");
    head_.content_length = reason.size();
  }
  body_written_ = reason.size();
  body_.append(std::move(reason));
}

int ResponseWriter::count_body(std::size_t len, bool is_head_request) {
  // More than the Content-Length the response announces would be read as
  // the start of the next response (Kestrel refuses the write as well).
  if (auto declared = declared_length();
      declared && !is_head_request && body_written_ + len > *declared) {
    return -EMSGSIZE;
  }
  body_written_ += len;
  return 0;
}

int ResponseWriter::append(std::string owned, std::string_view borrowed, bool is_head_request,
                           ancm_io_callback cb, void* ctx) {
  std::size_t len = owned.size() + borrowed.size();
  if (int refused = count_body(len, is_head_request)) return refused;
  if (borrowed.empty()) {
    body_.append(std::move(owned));
  } else {
    body_.append_borrowed(borrowed.data(), borrowed.size());
  }
  pending_callbacks_.push_back({cb, ctx, len});
  return 0;
}

bool ResponseWriter::has_pending(bool completed) const {
  return continue_queued_ || response_queued() || last_chunk_due(completed);
}

// A chunked body's end goes out once, after complete().
bool ResponseWriter::last_chunk_due(bool completed) const {
  return completed && framing_ == Framing::Chunked && progress_ != ResponseProgress::LastChunkSent;
}

// Every write gets its callback, even one that will never be sent: its
// caller may be waiting for it to release the bytes.
bool ResponseWriter::fail_pending() {
  bool continue_dropped = std::exchange(continue_queued_, false);
  body_.clear();
  for (auto& callback : std::exchange(pending_callbacks_, {})) {
    if (callback.fn) callback.fn(callback.ctx, -ECONNRESET, 0);
  }
  return continue_dropped;
}

// ------------------------------------------------------------ the write (strand)

ResponseWrite ResponseWriter::next_write(const ResponseTerms& terms, ConnectionReuse& reuse) {
  out_.clear();
  bool carries_continue = std::exchange(continue_queued_, false);
  if (carries_continue) out_ += kContinue;
  // A write that only carries the 100 leaves the head open to the handler.
  if (!head_sent() && (response_queued() || terms.completed)) prepare_head(terms, reuse);
  // A response that ends short of its Content-Length leaves the client
  // waiting for bytes that will not come: only closing tells it.
  if (terms.completed && framing_ == Framing::ContentLength && body_written_ < announced_length_) {
    reuse.keep_alive = false;
  }
  bool last_chunk = last_chunk_due(terms.completed);
  TrailerFields trailers;
  if (last_chunk) trailers = take_trailers_for_last_chunk();
  const auto& buffers = body_.begin_write(out_, framing_, last_chunk, trailers);
  return {buffers, std::exchange(pending_callbacks_, {}), carries_continue};
}

// From here on add_trailer answers -EALREADY: the fields go out now or never.
TrailerFields ResponseWriter::take_trailers_for_last_chunk() {
  std::lock_guard lock(head_mutex_);
  advance_locked(ResponseProgress::LastChunkSent);
  return std::exchange(trailers_, {});
}

void ResponseWriter::prepare_head(const ResponseTerms& terms, ConnectionReuse& reuse) {
  std::lock_guard lock(head_mutex_);
  int status = head_.status;
  bool bodiless_status = status_has_no_body(status) && status != 304;
  uint64_t length = 0;
  if (status == 101 || bodiless_status) {
    framing_ = Framing::None;
  } else if (head_.content_length) {
    framing_ = Framing::ContentLength;
    length = *head_.content_length;
  } else if (terms.request.is_head || status == 304) {
    // The app's Content-Length, or none: the length of a body never sent
    // cannot be known here (RFC 9110 §8.6).
    framing_ = Framing::None;
  } else if (terms.completed) {
    framing_ = Framing::ContentLength;
    length = body_.pending_bytes();
  } else if (terms.request.version >= 11) {
    framing_ = Framing::Chunked;
  } else {
    framing_ = Framing::UntilClose;
  }
  // A body the client was told to hold back (100-continue) will not be read.
  reuse.keep_alive = reuse.keep_alive && !head_.wants_close && !reuse.draining &&
                     !terms.body_held_back && framing_ != Framing::UntilClose;
  // A 101 the handler did not turn into an upgrade leaves the connection in
  // no protocol at all: it ends with this response.
  if (status == 101) reuse.keep_alive = false;
  serialize_head(head_, framing_, length, reuse.keep_alive, out_);
  announced_length_ = length;
  // HEAD and 304 announce a length but send no body.
  if (terms.request.is_head || status == 304) framing_ = Framing::None;
  advance_locked(progress_ == ResponseProgress::ServerAnswer ? ResponseProgress::ServerAnswerSent
                                                             : ResponseProgress::HeadSent);
}

const std::string& ResponseWriter::upgrade_head() {
  out_.clear();
  std::lock_guard lock(head_mutex_);
  advance_locked(ResponseProgress::HeadSent);
  serialize_head(head_, Framing::None, 0, true, out_);
  return out_;
}

}  // namespace ancm::server
