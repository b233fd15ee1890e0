// One client connection: reads requests with Beast's parser, hands each to
// the request sink as a native request, and writes the responses in order.
// Its state is explicit (connection_state.h): the phase of the socket, who
// owns the request, how far the response went, each moved through one
// checked function; docs/architecture.md ("Connection state") has the map.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/handler_abi.h"
#include "ancm/server/options.h"
#include "connection_data.h"
#include "connection_registry.h"
#include "connection_state.h"
#include "outgoing_body.h"
#include "request_handle.h"
#include "request_head.h"
#include "response_head.h"

namespace ancm::server {
class Connection;
}

// The server's side of the opaque stream handle (ancm_request: request_handle.h).
struct ancm_stream {
  std::shared_ptr<ancm::server::Connection> connection;  // kept until stream_close
};

namespace ancm::server {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using RequestSink = std::function<void(ancm_request*)>;

// Shared by all connections of a worker.
struct ConnectionContext {
  HttpLimits limits;
  RequestSink sink;
  ConnectionRegistry* registry = nullptr;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::io_context& io, boost::asio::ip::tcp::socket accepted,
             const ConnectionContext& context);
  ~Connection();

  void start();
  // Stop after the current response (close now when idle).
  void drain();

  // ---- the native request, as seen through ancm_request_api ----
  ancm_str method() const { return method_; }
  ancm_str target() const { return target_; }
  ancm_str path() const { return path_; }
  ancm_str query() const { return query_; }
  int http_version() const { return request_.version; }
  const std::vector<ancm_kv>& headers() const { return header_spans_; }
  // A chunked body's trailers, once a body read reported the end of the body.
  const std::vector<ancm_kv>& trailers() const { return trailer_spans_; }
  ancm_str remote_address() const { return {remote_address_.data(), remote_address_.size()}; }
  uint16_t remote_port() const { return remote_port_; }
  ancm_str local_address() const { return {local_address_.data(), local_address_.size()}; }
  uint16_t local_port() const { return local_port_; }
  bool has_body() const { return request_.has_body; }
  const Strand& strand() const { return strand_; }
  // The handler's per-connection slot; any thread (it has its own lock).
  ConnectionData& handler_data() { return handler_data_; }

  // These may be called from any thread; they run on the connection's strand.
  void read_body(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx);
  int set_status(int status, std::string_view reason);
  int add_header(std::string_view name, std::string_view value);
  void write_body(const void* data, std::size_t len, ancm_io_callback cb, void* ctx);
  void write_body_borrowed(const void* data, std::size_t len, ancm_io_callback cb, void* ctx);
  void flush(ancm_io_callback cb, void* ctx);
  void complete();
  void abort();
  void on_disconnect(ancm_disconnect_callback cb, void* ctx);

  // Upgrade to a raw stream (WebSockets), after a 101 status.
  using UpgradeCallback = void (*)(void* ctx, ancm_stream* stream);
  void upgrade(UpgradeCallback cb, void* ctx);
  void stream_read(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx);
  void stream_write(const void* data, std::size_t len, ancm_io_callback cb, void* ctx);
  void stream_close();

 private:
  struct Callback {
    ancm_io_callback fn = nullptr;
    void* ctx = nullptr;
    std::size_t bytes = 0;
  };
  using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

  // reading requests
  void read_next_request();
  void wait_for_bytes(std::chrono::seconds timeout);
  void read_header();
  void on_head_bytes();
  void on_head(const HeadScan& scan);
  std::string_view buffered() const;
  HeadLimits head_limits() const;
  void begin_request();
  void dispatch_request();
  void watch_connection();
  void on_watch_read(boost::beast::error_code ec, std::size_t n);
  void client_gone();
  void read_body_some();
  void parse_body();
  void on_body_parsed(boost::beast::error_code ec, std::size_t got);
  void keep_trailers();
  void end_body_read(int status);
  void fail_body_read(int status);
  void refuse_body(int status, int read_status);
  void send_continue_then_read();
  void on_continue_written(boost::beast::error_code ec);

  // writing responses
  void append_body(std::string owned, std::string_view borrowed, ancm_io_callback cb, void* ctx);
  void drop_pending_writes();
  void fail_pending_writes();
  void schedule_write();
  void start_write();
  void on_write(boost::beast::error_code ec, std::vector<Callback> callbacks,
                bool carried_continue);
  void prepare_head();
  int response_status();
  std::optional<uint64_t> declared_length();
  std::chrono::seconds idle_timeout() const;
  void complete_response();
  void finish_request();
  void continue_after_request();
  void discard_body();
  void send_upgrade_head();
  void on_upgrade_head_sent(boost::beast::error_code ec);
  void reject(HeadRejection rejection);
  void answer_for_handler(int status);

  // state
  template <class F>
  void on_strand(F&& f);
  void arm_timer(std::chrono::seconds timeout);
  void disarm_timer();
  void fail(const char* what, boost::beast::error_code ec);
  void close();
  void graceful_close();
  void discard_until_eof();
  void notify_disconnect();
  // No request: a drain may close the connection after a short grace.
  bool is_idle() const { return request_phase_ == RequestPhase::None; }
  bool in_request() const { return request_phase_ != RequestPhase::None; }
  // complete() or abort() came: the handler's calls are refused from now on.
  bool completed() const { return request_phase_ == RequestPhase::Completing; }
  // The socket failed or was closed, or only waits for EOF after its FIN.
  bool dead() const {
    return phase_ == ConnectionPhase::Closing || phase_ == ConnectionPhase::Closed;
  }
  bool head_sent() const;           // strand only
  bool answered_by_server() const;  // strand only
  // The only ways the state enums change: checked against is_legal().
  void enter(ConnectionPhase to);
  void enter(RequestPhase to);
  void advance(ResponseProgress to);
  void advance_locked(ResponseProgress to);  // head_mutex_ held
  void report_illegal(std::string_view what, std::string_view from, std::string_view to);

  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  const ConnectionContext& context_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::size_t head_scanned_ = 0;  // how far the head being read was searched

  std::string remote_address_, local_address_;
  uint16_t remote_port_ = 0, local_port_ = 0;
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
  UpgradeCallback upgrade_cb_ = nullptr;  // set while an upgrade waits for its 101
  void* upgrade_ctx_ = nullptr;
  ancm_str method_{}, target_{}, path_{}, query_{};
  std::vector<ancm_kv> header_spans_;
  std::vector<ancm_kv> trailer_spans_;  // written on the strand before the read's callback
  Callback pending_read_;
  void* read_buf_ = nullptr;
  std::size_t read_cap_ = 0;
  ancm_disconnect_callback disconnect_cb_ = nullptr;
  void* disconnect_ctx_ = nullptr;

  // current response
  std::mutex head_mutex_;  // head_ and progress_: written from handler threads / the strand
  ResponseHead head_;
  Framing framing_ = Framing::None;
  uint64_t announced_length_ = 0;  // the Content-Length the head announced
  uint64_t body_written_ = 0;      // body bytes the handler wrote so far
  OutgoingBody body_;
  std::vector<Callback> pending_callbacks_;
  std::string out_;               // the head (and small bodies) being written
  bool continue_queued_ = false;  // the 100 waits for the next write, ahead of the head
  std::vector<char> discard_buffer_;
  std::vector<char> incoming_;  // what the watch reads, then appends to buffer_
  std::size_t discarded_ = 0;
  unsigned timer_generation_ = 0;

  // state (connection_state.h); each enum moves only through its enter()/advance()
  ConnectionPhase phase_ = ConnectionPhase::Idle;
  RequestPhase request_phase_ = RequestPhase::None;
  ResponseProgress progress_ = ResponseProgress::NotStarted;  // written under head_mutex_
  ConnectionReuse reuse_;
  PendingIo io_;
};

// The table handed to handlers.
const ancm_request_api* native_request_api();

}  // namespace ancm::server
