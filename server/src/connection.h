// One client connection: reads requests with Beast's parser, hands each to
// the request sink as a native request, and writes the responses in order.
// It owns the socket, the strand and the phases, and decides when bytes are
// read and written; what a response's bytes are (head, framing, the queued
// body, the 100) is its ResponseWriter's (response_writer.h).
// Its state is explicit (connection_state.h): the phase of the socket, who
// owns the request, how far the response went, each moved through one
// checked function; docs/architecture.md ("Connection state") has the map.
#pragma once

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <functional>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/common/deadline_timer.h"
#include "ancm/handler_abi.h"
#include "ancm/server/options.h"
#include "body_data_rate.h"
#include "client_stream.h"
#include "connection_data.h"
#include "connection_registry.h"
#include "connection_state.h"
#include "first_head_deadline.h"
#include "in_place_body.h"
#include "request_handle.h"
#include "request_head.h"
#include "response_writer.h"
#include "server_request.h"
#include "strand.h"
#include "upgraded_stream.h"

namespace ancm::server {

using RequestSink = std::function<void(ancm_request*)>;

class TlsContexts;
class RequestObserver;

// Shared by all connections of a listener.
struct ConnectionContext {
  HttpLimits limits;
  RequestSink sink;
  ConnectionRegistry* registry = nullptr;
  // Set on a TLS listener: the handshake comes first (start_connection).
  TlsContexts* tls = nullptr;
  // HTTP/2 is served: on cleartext to a client that starts with its preface
  // (h2c prior knowledge), on TLS when ALPN chose "h2" (offered only then).
  bool http2 = true;
  // The access log and the metrics; null when both are off.
  const RequestObserver* observer = nullptr;
  // Only one thread runs the loop: connections run on it without a strand
  // (make_connection_executor).
  bool one_loop_thread = false;
};

class Connection final : public ServerRequest,
                         public UpgradedStream,
                         public Drainable,
                         public std::enable_shared_from_this<Connection> {
 public:
  // The stream's completions run on strand (ClientStream::adopt).
  // initial_bytes: what was read from the stream before (the first bytes,
  // read to tell HTTP/1.x from HTTP/2); they are the first request's.
  // first_head: what is left of the budget from accept (the handshake and
  // the first bytes spent some) for the wait for the first request and its head.
  Connection(Strand strand, ClientStream stream, const ConnectionContext& context,
             std::string_view initial_bytes = {}, FirstHeadDeadline first_head = {});
  ~Connection();

  void start();
  // Stop after the current response (close now when idle).
  void drain() override;

  // ---- the native request, as seen through ancm_request_api ----
  ancm_str method() const override { return method_; }
  ancm_str target() const override { return target_; }
  ancm_str path() const override { return path_; }
  ancm_str query() const override { return query_; }
  int http_version() const override { return request_.version; }
  const std::vector<ancm_kv>& headers() const override { return header_spans_; }
  // A chunked body's trailers, once a body read reported the end of the body.
  const std::vector<ancm_kv>& trailers() const override { return trailer_spans_; }
  ancm_str remote_address() const override {
    return {endpoints_.remote_address.data(), endpoints_.remote_address.size()};
  }
  uint16_t remote_port() const override { return endpoints_.remote_port; }
  ancm_str local_address() const override {
    return {endpoints_.local_address.data(), endpoints_.local_address.size()};
  }
  uint16_t local_port() const override { return endpoints_.local_port; }
  bool has_body() const override { return request_.has_body; }
  ancm_str connect_protocol() const override { return {}; }  // HTTP/1 has no extended CONNECT
  bool is_tls() const override { return stream_.is_tls(); }
  int tls_info(ancm_tls_info* out) const override;
  const Strand& strand() const override { return strand_; }
  // The handler's per-connection slot; any thread (it has its own lock).
  ConnectionData& handler_data() override { return handler_data_; }

  // These may be called from any thread; they run on the connection's strand
  // (set_status and add_header on the caller's, under the writer's head lock).
  void read_body(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) override;
  int read_body_to_pipe(int pipe_fd, std::size_t max, ancm_io_callback cb, void* ctx) override;
  void set_min_body_rate(MinBodyRate rate) override;
  int set_status(int status, std::string_view reason) override;
  int add_header(std::string_view name, std::string_view value) override;
  int add_trailer(std::string_view name, std::string_view value) override;
  void write_body(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) override;
  void write_body_borrowed(const void* data, std::size_t len, ancm_io_callback cb,
                           void* ctx) override;
  int write_body_from_pipe(int pipe_fd, std::size_t len, ancm_io_callback cb, void* ctx) override;
  void flush(ancm_io_callback cb, void* ctx) override;
  void complete() override;
  void abort() override;
  void reset(uint32_t error_code) override;
  void on_disconnect(ancm_disconnect_callback cb, void* ctx) override;

  // Upgrade to a raw stream (WebSockets), after a 101 status.
  void upgrade(UpgradeCallback cb, void* ctx) override;
  void stream_read(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) override;
  void stream_write(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) override;
  void stream_close() override;

 private:
  // The parser's target and fields live in one arena per request (head_arena_)
  // over head_space_, part of this object: a usual head costs no allocation; a
  // larger one takes more blocks, which go when the next request starts.
  using HeadAllocator = std::pmr::polymorphic_allocator<char>;
  using Parser = boost::beast::http::request_parser<InPlaceBody, HeadAllocator>;
  static constexpr std::size_t kHeadArenaChunk = 2048;  // a browser's head, in one piece

  // reading requests (connection.cpp)
  void read_next_request();
  void read_header();
  void on_head_bytes();
  void on_head(const HeadScan& scan);
  std::string_view buffered() const;
  HeadLimits head_limits() const;
  void begin_request();
  void dispatch_request();
  void watch_connection();
  bool body_tops_up() const;
  std::size_t body_read_ahead() const;
  void on_watch_read(boost::beast::error_code ec);
  void client_gone();

  // the request body as the handler reads it (connection_request_body.cpp)
  // Where a body read puts its bytes: the handler's buffer, or its pipe.
  struct BodyReadTarget {
    void* buffer = nullptr;
    int pipe = -1;  // read_body_to_pipe's write end, else -1
    std::size_t cap = 0;
  };
  void start_body_read(BodyReadTarget target, IoCallback done);
  void read_body_some();
  void parse_body();
  std::size_t top_up_body(std::size_t got);
  void on_body_parsed(boost::beast::error_code ec, std::size_t got);
  void keep_trailers();
  void end_body_read(int status);
  void fail_body_read(int status);
  void refuse_body(int status, int read_status);
  void on_body_too_slow();
  void send_continue_then_read();
  void on_continue_written(boost::beast::error_code ec);

  // a body read into the handler's pipe (connection_body_to_pipe.cpp)
  void pipe_body();
  std::size_t pipe_buffered_body(std::size_t want, boost::beast::error_code& ec);
  std::size_t splice_body(std::size_t want, boost::beast::error_code& pipe_failure);
  void count_piped_body(std::size_t n, boost::beast::error_code& ec);

  // writing responses, when (connection_response.cpp; the bytes are writer_'s)
  void append_body(std::string owned, std::string_view borrowed, ancm_io_callback cb, void* ctx);
  void complete_response();
  void schedule_write();
  void start_write();
  ResponseTerms response_terms() const;
  void on_write(boost::beast::error_code ec, std::vector<IoCallback> callbacks,
                bool carried_continue);
  void drop_pending_writes();
  void continue_writing();

  // a body piece spliced from the handler's pipe (connection_pipe_body.cpp)
  struct PipePiece {
    int fd = -1;
    std::size_t left = 0;  // bytes still in the pipe
    IoCallback done;       // its bytes: the piece's length
  };
  void take_pipe_piece(PipePiece piece);
  void start_pipe_piece();
  void splice_pipe_piece();
  void copy_pipe_piece();
  void end_pipe_piece(boost::beast::error_code ec);
  void answer_pipe_piece(int status);

  // the upgrade (connection_upgrade.cpp)
  void send_upgrade_head();
  void on_upgrade_head_sent(boost::beast::error_code ec);

  // the end of a request (connection.cpp)
  std::chrono::steady_clock::duration idle_timeout() const;
  void finish_request();
  void observe_end();
  void continue_after_request();
  void discard_body();
  void reject(HeadRejection rejection);

  // state (connection.cpp)
  template <class F>
  void on_strand(F&& f);
  // The connection's one timeout at a time (header, I/O, idle, linger);
  // disarming it leaves the wait running (common/deadline_timer.h).
  void arm_timer(std::chrono::steady_clock::duration timeout);
  void disarm_timer() { timer_.disarm(); }
  void arm_request_timer();
  void on_timeout();
  void close();
  void graceful_close();
  void discard_until_eof();
  void notify_disconnect();
  // Between requests, waiting for the next: a drain may close the connection
  // after a short grace. (Not an upgraded stream whose request ended: its
  // handler still uses it.)
  bool is_idle() const { return phase_ == ConnectionPhase::Idle; }
  bool in_request() const { return request_phase_ != RequestPhase::None; }
  // complete() or abort() came: the handler's calls are refused from now on.
  bool completed() const { return request_phase_ == RequestPhase::Completing; }
  // complete() came and no pipe piece waits: what is queued is the whole body
  // (its last chunk may go).
  bool body_ended() const { return completed() && !pipe_piece_; }
  // The socket failed or was closed, or only waits for EOF after its FIN.
  bool dead() const {
    return phase_ == ConnectionPhase::Closing || phase_ == ConnectionPhase::Closed;
  }
  // The only ways the phases change: checked against is_legal() (the
  // response's progress moves in writer_, which reports here).
  void enter(ConnectionPhase to);
  void enter(RequestPhase to);
  void report_illegal(std::string_view what, std::string_view from, std::string_view to);
  void log_illegal(std::string_view what, std::string_view from, std::string_view to) const;

  Strand strand_;
  ClientStream stream_;
  common::DeadlineTimer timer_;
  const ConnectionContext& context_;
  boost::beast::flat_buffer buffer_;
  std::array<std::byte, kHeadArenaChunk> head_space_;
  std::pmr::monotonic_buffer_resource head_arena_{head_space_.data(), head_space_.size()};
  std::optional<Parser> parser_;  // after head_arena_: destroyed first
  std::size_t head_scanned_ = 0;  // how far the head being read was searched
  FirstHeadDeadline first_head_;  // met once the first head is complete

  ClientStream::Endpoints endpoints_;
  // Released when the connection closes (close, graceful_close), or with it.
  ConnectionData handler_data_;

  // current request
  ancm_request handle_;  // one for every request: generation-checked
  std::shared_ptr<Connection> self_while_in_request_;
  RequestFacts request_;
  ContinueState continue_ = ContinueState::NotExpected;
  // The request body as the handler reads it; a failure is kept and
  // repeated, never retried on a parser that already failed.
  enum class BodyRead { Idle, Reading, Failed };
  BodyRead body_read_ = BodyRead::Idle;
  int body_failure_ = 0;
  BodyDataRateClock body_rate_;
  UpgradeCallback upgrade_cb_ = nullptr;  // set while an upgrade waits for its 101
  void* upgrade_ctx_ = nullptr;
  ancm_str method_{}, target_{}, path_{}, query_{};
  std::vector<ancm_kv> header_spans_;
  std::vector<ancm_kv> trailer_spans_;  // written on the strand before the read's callback
  IoCallback pending_read_;
  BodyReadTarget read_into_;  // the pending body read's
  ancm_disconnect_callback disconnect_cb_ = nullptr;
  void* disconnect_ctx_ = nullptr;
  // for the access log and the metrics (observe_end)
  std::chrono::steady_clock::time_point started_;
  uint64_t body_bytes_read_ = 0;
  bool head_refused_ = false;  // reject(): the front end answered a head it refused

  // current response: its head (set from handler threads under the writer's
  // lock), its framing, the queued body and callbacks, the 100
  ResponseWriter writer_;
  // Waits for what is queued before it, then is written past the writer's
  // queue (io_.write_in_flight while its bytes move).
  std::optional<PipePiece> pipe_piece_;
  std::vector<char> discard_buffer_;
  std::vector<char> incoming_;  // what the watch reads while a body comes, then appends to buffer_
  std::size_t discarded_ = 0;

  // state (connection_state.h); each phase moves only through its enter(),
  // the response's progress through writer_.advance()
  ConnectionPhase phase_ = ConnectionPhase::Idle;
  RequestPhase request_phase_ = RequestPhase::None;
  ConnectionReuse reuse_;
  PendingIo io_;
};

// Runs f now when called on the strand, else posts it there.
template <class F>
void Connection::on_strand(F&& f) {
  if (strand_.running_in_this_thread()) {
    f();
  } else {
    boost::asio::post(strand_, std::forward<F>(f));
  }
}

// The table handed to handlers.
const ancm_request_api* native_request_api();

}  // namespace ancm::server
