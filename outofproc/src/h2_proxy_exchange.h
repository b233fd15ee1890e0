// One proxied request to a child that speaks HTTP/2 (h2c): the request goes
// as one stream of the child's UpstreamH2Session, whatever the client's own
// protocol, and the stream's response comes back through the request API.
// ProxyExchange hands the request over once it knows the child's protocol;
// this runs on the same strand (the client connection's, or the proxy's own)
// and hears of the client leaving through it. An HTTP/2 WebSocket (extended
// CONNECT) goes as one (RFC 8441) and, once the child answered 2xx, becomes a
// tunnel between the client's stream and the child's (h2_proxy_tunnel.cpp).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "proxy_exchange.h"
#include "upstream_h2_session.h"

namespace ancm::outofproc {

class H2ProxyExchange : public UpstreamH2Sink,
                        public std::enable_shared_from_this<H2ProxyExchange> {
 public:
  using Strand = ProxyExchange::Strand;

  H2ProxyExchange(std::shared_ptr<const ProxyContext> context, ancm_request* request, Strand strand,
                  std::shared_ptr<ChildProcess> child);
  ~H2ProxyExchange() override;
  H2ProxyExchange(const H2ProxyExchange&) = delete;
  H2ProxyExchange& operator=(const H2ProxyExchange&) = delete;

  // On the strand: sends the request.
  void start();
  // On the strand: the client went away (on_disconnect's client_gone).
  void client_gone();

  // UpstreamH2Sink: on the session's strand, each posted onto ours.
  void on_response_head(int status, H2Fields headers) override;
  void on_response_data(std::string piece) override;
  void on_response_end(H2Fields trailers) override;
  void on_body_taken() override;
  void on_stream_end(H2StreamEnd end) override;

 private:
  // The largest piece of the client's body (or tunnel bytes) read and framed at once.
  static constexpr std::size_t kBodyPiece = 64 * 1024;

  using ServerStep = void (H2ProxyExchange::*)(int status, std::size_t bytes);
  // What a server callback's ctx holds: the exchange, kept alive until the
  // callback came, and the step to run then on the strand.
  struct ServerOp {
    std::shared_ptr<H2ProxyExchange> exchange;
    ServerStep step;
  };
  void* server_op(ServerStep step);
  static void on_server_io(void* ctx, int status, std::size_t bytes);
  template <typename Step>
  void on_strand(Step step);

  void open_stream();
  void read_client_body();
  void on_client_body(int status, std::size_t bytes);
  void send_last_piece();
  void client_body_failed(int status);
  void relay_head(int status, const H2Fields& headers);
  void relay_data(const std::string& piece);
  void on_client_written(int status, std::size_t bytes);
  void end_response(const H2Fields& trailers);
  void stream_ended(const H2StreamEnd& end);
  void retry_unprocessed(const H2StreamEnd& end);
  void on_retry_process(ProcessManager::Acquired acquired);

  void arm_timeout();
  void on_request_timeout();
  void stop_timer();
  void cancel_stream();
  void upstream_failed(const std::string& why);
  void abort_response(const std::string& why, std::string_view logged_as = kResponseCutShort);
  void reset_response(std::uint32_t error_code, const std::string& why);
  std::string child_name() const;
  void refuse_extended_connect(const std::string& why);

  // The tunnel of an extended CONNECT (h2_proxy_tunnel.cpp): ResponsePhase
  // Head -> Upgrading -> Tunnel -> TunnelClosed; the request stays owned
  // until it ends, so a reset either way can reach the other side.
  bool in_tunnel() const;
  void accept_tunnel(int status, const H2Fields& headers);
  static void on_upgraded(void* ctx, ancm_stream* stream);
  void start_tunnel(ancm_stream* stream);
  void read_tunnel_client();
  void on_tunnel_client_read(int status, std::size_t bytes);
  void write_tunnel_client(std::string piece);
  void on_tunnel_client_written(int status, std::size_t bytes);
  void child_ended_tunnel();
  void tunnel_stream_ended(const H2StreamEnd& end);
  void close_tunnel();

  [[nodiscard]] bool enter(RequestPhase to);
  [[nodiscard]] bool enter(ResponsePhase to);
  [[nodiscard]] bool enter(RequestOwnership to);
  void report_illegal(std::string_view what, std::string_view from, std::string_view to);
  bool owns_request() const { return ownership_ == RequestOwnership::Owned; }
  void complete_request();
  void abort_request();
  void fail_request(const common::PageFailure& failure);

  std::shared_ptr<const ProxyContext> context_;
  ancm_request* request_;
  Strand strand_;
  boost::asio::steady_timer timer_;
  unsigned timer_generation_ = 0;
  std::shared_ptr<ChildProcess> child_;

  H2RequestHead head_;  // kept until the stream surely reached the child (a retry sends it again)
  std::shared_ptr<UpstreamH2Session> session_;
  std::optional<UpstreamH2Session::StreamKey> stream_;
  bool retried_ = false;
  std::uint64_t body_bytes_read_ = 0;
  RelayBuffer body_piece_;

  ancm_stream* client_stream_ = nullptr;    // the client's side of the tunnel, until closed
  std::deque<std::string> tunnel_waiting_;  // the child's bytes that came before it
  bool child_ended_tunnel_ = false;         // the child's END_STREAM came

  RequestPhase request_phase_ = RequestPhase::Connecting;
  ResponsePhase response_phase_ = ResponsePhase::Head;
  RequestOwnership ownership_ = RequestOwnership::Owned;
  ClientFacts client_facts_;
};

}  // namespace ancm::outofproc
