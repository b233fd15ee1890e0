// The response side of a front-end Connection (connection.h): the head the
// handler builds, the framing chosen when that head goes out, the body pieces
// and write callbacks queued until the next socket write, and that write's
// bytes (a queued 100 Continue first, then the head, the framed body, the
// last chunk) as one gather list. The writer decides what bytes go out; the
// Connection owns the socket, the strand and the phases, and decides when.
// No I/O here, so it is tested without a socket (response_writer_test).
//
// Threads and the head lock:
// - set_status, add_header, add_trailer and status may be called from any
//   thread (a handler's): they take head_mutex_, which guards head_,
//   trailers_ and progress_.
// - Everything else runs on the connection's strand only.
// - progress_ is written only on the strand, always under head_mutex_: the
//   strand reads it without the lock (progress, head_sent), handler threads
//   under it (set_status, add_header see whether the head is still open).
// - An illegal move of progress_ (a bug) is not made; it is reported through
//   the callback given at construction, with head_mutex_ held: the report
//   must not call back into the writer.
// - The writer calls the handler's write callbacks only in fail_pending();
//   next_write hands a write's callbacks to the connection, which calls them
//   when the socket write ends.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/handler_abi.h"
#include "connection_state.h"
#include "outgoing_body.h"
#include "response_head.h"

namespace ancm::server {

// A handler's I/O callback, with the byte count it reports on success.
struct IoCallback {
  ancm_io_callback fn = nullptr;
  void* ctx = nullptr;
  std::size_t bytes = 0;
};

// What the connection knows, when a write starts, that decides the framing.
struct ResponseTerms {
  RequestFacts request;
  bool completed = false;       // complete() came: what is queued is the whole body
  bool body_held_back = false;  // the client waits for a 100 that was never sent
};

// One socket write, as next_write builds it.
struct ResponseWrite {
  // Valid until end_write(); none is empty, so an empty list means nothing to send.
  const std::vector<boost::asio::const_buffer>& buffers;
  std::vector<IoCallback> callbacks;  // answered when the write ends
  bool carries_continue = false;      // the 100 a body read waits for is in it
};

class ResponseWriter {
 public:
  // Told of a move of the progress its table lacks (is_legal), by the names
  // of both; the move is not made.
  using IllegalMoveReport = std::function<void(std::string_view from, std::string_view to)>;
  explicit ResponseWriter(IllegalMoveReport report_illegal);

  // ---- any thread (under the head lock) ----
  int set_status(int status, std::string_view reason);
  int add_header(std::string_view name, std::string_view value);
  // A trailer field for the last chunk of a chunked body; with any other
  // framing it is dropped. -EINVAL for a field not allowed as a trailer
  // (common/trailer_fields.h), -EALREADY once the last chunk is out (or the
  // server's own answer replaced the response).
  int add_trailer(std::string_view name, std::string_view value);
  int status();

  // ---- the connection's strand ----
  ResponseProgress progress() const { return progress_; }
  // The head is out, or in the write under way (the handler's or the server's).
  bool head_sent() const;
  // The server's own answer replaced the handler's head.
  bool answered_by_server() const;
  void advance(ResponseProgress to);
  // Body bytes of this response so far: the handler's accepted writes, or
  // the server's own answer.
  uint64_t body_bytes() const { return body_written_; }

  // A new request's response: an empty head open to the handler, nothing queued.
  void open();
  // Replaces the head with the server's own short answer (its reason phrase
  // as text, Content-Length framed), queued for the next write.
  void answer_for_handler(int status);
  // Queues a body piece (owned, or borrowed until its callback) and its
  // callback. Returns -EMSGSIZE, queueing nothing, past the Content-Length
  // the head declares (is_head_request: a HEAD response sends no body).
  int append(std::string owned, std::string_view borrowed, bool is_head_request,
             ancm_io_callback cb, void* ctx);
  // Counts len more body bytes (append's pieces, and a pipe piece the
  // connection writes past the queue): -EMSGSIZE, counting nothing, past
  // the Content-Length the head declares.
  int count_body(std::size_t len, bool is_head_request);
  // The head is out and the body goes as written (a Content-Length, or until
  // close): a piece may skip the gather list. Not while pieces are queued.
  bool body_goes_verbatim() const {
    return head_sent() && !response_queued() &&
           (framing_ == Framing::ContentLength || framing_ == Framing::UntilClose);
  }
  // The interim 100, written ahead of the head by the next write.
  void queue_continue() { continue_queued_ = true; }
  // Something of the handler's response (a piece, a flush) waits for a write.
  bool response_queued() const { return !pending_callbacks_.empty() || !body_.empty(); }
  // The next write would carry something (completed: complete() came).
  bool has_pending(bool completed) const;

  // Takes everything queued into one write: the 100, the head (framed now)
  // once the response has something to send, the framed body pieces, the
  // last chunk once complete() came. Narrows reuse.keep_alive as the head
  // decides (and for a body that ends short of its Content-Length).
  ResponseWrite next_write(const ResponseTerms& terms, ConnectionReuse& reuse);
  // The write's pieces are freed.
  void end_write() { body_.end_write(); }
  // A write's callbacks once they were called: the list's room serves the
  // next write, so a response written in one piece costs no allocation for it.
  void reuse_callbacks(std::vector<IoCallback> spent) {
    spent.clear();
    if (pending_callbacks_.capacity() == 0) pending_callbacks_ = std::move(spent);
  }
  // The response ended early: every queued callback gets -ECONNRESET, the
  // body and the 100 are dropped. True when a 100 was dropped.
  bool fail_pending();
  // The 101 head of an upgrade; from now on the head counts as sent.
  const std::string& upgrade_head();

 private:
  void prepare_head(const ResponseTerms& terms, ConnectionReuse& reuse);  // takes the lock
  void advance_locked(ResponseProgress to);                               // head_mutex_ held
  std::optional<uint64_t> declared_length();
  bool last_chunk_due(bool completed) const;
  TrailerFields take_trailers_for_last_chunk();  // takes the lock

  IllegalMoveReport report_illegal_;
  std::mutex head_mutex_;  // head_ and progress_: written from handler threads / the strand
  ResponseHead head_;
  TrailerFields trailers_;  // under head_mutex_: added from handler threads
  ResponseProgress progress_ = ResponseProgress::NotStarted;  // written under head_mutex_
  Framing framing_ = Framing::None;
  uint64_t announced_length_ = 0;  // the Content-Length the head announced
  uint64_t body_written_ = 0;      // body bytes the handler wrote so far
  OutgoingBody body_;
  std::vector<IoCallback> pending_callbacks_;
  static constexpr std::size_t kKeptWriteBuffer = 1024;
  std::string out_;               // the 100, the head (and small bodies) being written
  bool continue_queued_ = false;  // the 100 waits for the next write
};

}  // namespace ancm::server
