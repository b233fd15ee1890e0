// One proxied request: client → child over an HTTP/1.1 connection (kept for
// the same client connection's next request), the child's response streamed
// back, WebSocket upgrades tunnelled. It runs on the client connection's strand when the server
// offers it, so relaying costs no thread hop (as in nginx's single event loop).
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/connection_executor.h"
#include "ancm/handler_abi.h"
#include "ancm/outofproc/log_text.h"
#include "connection_pool.h"
#include "forwarded_headers.h"
#include "process_manager.h"
#include "proxy_exchange_state.h"
#include "proxy_threads.h"
#include "relay_budget.h"
#include "relay_piece.h"

namespace ancm::outofproc {

class H2Upstreams;
class H2ProxyExchange;

// What every exchange of one application shares.
struct ProxyContext {
  const ancm_request_api* api = nullptr;
  const ancm_host_services* host = nullptr;
  ProcessManager* processes = nullptr;
  ConnectionPool* pool = nullptr;
  ProxyThreads* own_threads = nullptr;        // when the server offers no strand
  RelayBudget* relay_budget = nullptr;        // null: pieces grow without limit
  RelayBudget* pipe_budget = nullptr;         // relay pipes' capacity; null: no limit
  H2Upstreams* h2 = nullptr;                  // sessions to children that speak HTTP/2
  std::chrono::seconds request_timeout{120};  // 0 = no limit
  bool forward_connection_header = false;
  Logger log;
  mutable std::atomic<int> active_exchanges{0};
};

class ProxyExchange : public std::enable_shared_from_this<ProxyExchange> {
 public:
  // The client connection's executor (abi::SerialExecutor), or a strand of
  // the proxy's own threads.
  using Strand = abi::ConnectionExecutor;

  // context must outlive the exchange (the application keeps it).
  ProxyExchange(std::shared_ptr<const ProxyContext> context, ancm_request* request);
  ~ProxyExchange();
  ProxyExchange(const ProxyExchange&) = delete;
  ProxyExchange& operator=(const ProxyExchange&) = delete;

  void start();

 private:
  using error_code = boost::system::error_code;
  using ServerStep = void (ProxyExchange::*)(int status, std::size_t bytes);
  friend struct ServerOp;

  // The largest piece of a body (or of the tunnel) read at once.
  static constexpr std::size_t kBodyBuffer = 64 * 1024;

  // Server (request API) callbacks arrive on server threads; each carries a
  // reference to the exchange and hops onto its strand.
  void* server_op(ServerStep step);
  static void on_server_io(void* ctx, int status, std::size_t bytes);
  static void on_disconnect(void* ctx, int client_gone);
  static void on_upgraded(void* ctx, ancm_stream* stream);

  void leave_body_rate_to_the_app();
  void acquire_process();
  void on_process(ProcessManager::Acquired acquired);
  void hand_to_h2();
  void connect();
  void on_connected(error_code ec);
  void send_head();
  void on_head_sent(error_code ec);
  void on_last_bytes_sent(error_code ec);
  void read_client_body();
  void on_client_body(int status, std::size_t bytes);
  void append_last_chunk_with_trailers();
  // a large Content-Length request body through a pipe (proxy_piped_upload.cpp)
  bool open_request_pipe();
  void read_client_body_into_pipe();
  void on_client_body_in_pipe(int status, std::size_t bytes);
  void drain_request_pipe(bool last);
  void request_pipe_failed(bool last, error_code ec);
  bool body_overruns(std::size_t bytes) const;
  void client_body_failed(int status);
  void request_broken(const std::string& why, std::string_view logged_as = kResponseCutShort);
  void new_response_parser();
  void read_response_head();
  void on_response_head(error_code ec);
  bool may_retry_on_fresh_connection() const;
  void retry_on_fresh_connection();
  [[nodiscard]] bool relay_response_head();
  void flush_to_client();
  void read_response_body(std::size_t piece);
  void on_response_body(error_code ec);
  error_code parse_buffered_body();
  // a Content-Length body (proxy_direct_body.cpp)
  void start_direct_body();
  bool open_body_pipe();
  void read_direct_body();
  void wait_for_direct_body();
  void take_buffered_body();
  void read_waiting_body();
  char* take_body_piece(std::size_t ready);
  void on_direct_body(error_code ec, std::size_t got);
  void direct_body_broke(error_code ec);
  void splice_direct_body();
  bool response_body_done() const;
  void write_to_client(const char* piece, std::size_t size);
  void on_client_written(int status, std::size_t bytes);
  void end_response();
  void relay_response_trailers();
  void release_upstream();
  bool upstream_reusable() const;
  bool bytes_after_direct_body() const;

  // WebSocket tunnel after a 101 (proxy_tunnel.cpp).
  void accept_upgrade();
  void start_tunnel(ancm_stream* stream);
  void tunnel_client_to_child();
  void on_tunnel_client_read(int status, std::size_t bytes);
  void tunnel_child_to_client();
  void on_tunnel_child_read(error_code ec, std::size_t bytes);
  void on_tunnel_client_written(int status, std::size_t bytes);
  void close_tunnel();

  void arm_timeout();
  void on_request_timeout();
  void stop_timer();
  void upstream_failed(const char* what, error_code ec);
  void upstream_failed(const std::string& why);
  std::string child_name() const;
  void fail(int status, int substatus, std::string reason);
  // Logged as `logged_as` + why, unless the client went away first.
  void abort_response(const std::string& why, std::string_view logged_as = kResponseCutShort);
  void close_upstream();

  // The one way each phase changes: the move is checked against its table
  // (proxy_exchange_state.cpp). One the table lacks is a bug: it is not made,
  // it is logged, and the exchange ends safely (answer_illegal); false tells
  // the caller to stop there.
  [[nodiscard]] bool enter(RequestPhase to);
  [[nodiscard]] bool enter(ResponsePhase to);
  [[nodiscard]] bool enter(RequestOwnership to);
  void report_illegal(std::string_view what, std::string_view from, std::string_view to);
  void answer_illegal();

  // The server's request is the exchange's until one of these hands it back;
  // each moves RequestOwnership, so a second one is refused, not made.
  bool owns_request() const { return ownership_ == RequestOwnership::Owned; }
  void complete_request();
  void abort_request();
  void fail_request(const common::PageFailure& failure);
  // Checked before each call on the request API: after the hand-back the
  // request is the server's again (maybe reused), so a call then is a bug,
  // logged and not made.
  [[nodiscard]] bool may_use_request(std::string_view call);

  std::shared_ptr<const ProxyContext> context_;
  ancm_request* request_;
  Strand strand_;
  boost::asio::steady_timer timer_;
  unsigned timer_generation_ = 0;

  ForwardedRequest forwarded_;
  std::shared_ptr<ChildProcess> child_;
  std::shared_ptr<ConnectionPool::Client> client_;  // null: nothing is kept
  ConnectionPool::Connection upstream_;
  UpstreamAttempt attempt_;
  // The child's response head lives in head_arena_, whose first kilobyte is
  // part of this object: a usual head costs no allocation of its own.
  using HeadAllocator = std::pmr::polymorphic_allocator<char>;
  using ResponseParser =
      boost::beast::http::response_parser<boost::beast::http::buffer_body, HeadAllocator>;
  std::array<std::byte, 1024> head_space_;
  std::pmr::monotonic_buffer_resource head_arena_{head_space_.data(), head_space_.size()};
  std::optional<ResponseParser> parser_;  // after head_arena_: destroyed first
  // This exchange, from start() until on_disconnect's one callback.
  std::shared_ptr<ProxyExchange> held_for_disconnect_;

  // The explicit state (proxy_exchange_state.h), moved only through enter().
  RequestPhase request_phase_ = RequestPhase::Connecting;
  ResponsePhase response_phase_ = ResponsePhase::Head;
  RequestOwnership ownership_ = RequestOwnership::Owned;
  ResponseFacts response_facts_;
  ClientFacts client_facts_;

  std::string upstream_out_;      // a request body chunk's framing, or its last chunk
  uint64_t body_bytes_read_ = 0;  // of the client's body, all sent on or being sent
  std::size_t request_piece_ = UpstreamConnection::kIdleBuffer;
  std::size_t response_piece_ = UpstreamConnection::kIdleBuffer;
  std::size_t parsed_piece_ = 0;  // what this read of a parsed body may fill
  RelayGrant relay_grant_;        // what the pieces past the free size took from the budget
  // A Content-Length body's bytes still to come, read straight into a piece
  // (no parser copy); empty: the parser reads the body (chunked, EOF).
  std::optional<uint64_t> direct_body_left_;
  RelayPiece direct_piece_;  // held only while on its way to the client
  // The body goes through the upstream connection's pipe, never a piece.
  bool body_spliced_ = false;
  // The same for the client's body (upstream_->request_pipe), and its bytes
  // still in the pipe.
  bool request_body_piped_ = false;
  std::size_t request_pipe_holds_ = 0;

  ancm_stream* stream_ = nullptr;        // after an upgrade, until the tunnel closes
  std::shared_ptr<H2ProxyExchange> h2_;  // the request's owner once HandedOver
  std::vector<char> tunnel_in_, tunnel_out_;
};

// What a server callback's context points to: the exchange (kept alive until
// the server calls back, which it always does) and the step to run on its strand.
struct ServerOp {
  std::shared_ptr<ProxyExchange> exchange;
  ProxyExchange::ServerStep step;
};

}  // namespace ancm::outofproc
