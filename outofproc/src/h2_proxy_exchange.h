// One proxied request to a child that speaks HTTP/2 (h2c): the request goes
// as one stream of the child's UpstreamH2Session, whatever the client's own
// protocol, and the stream's response comes back through the request API.
// ProxyExchange hands the request over once it knows the child's protocol;
// this runs on the same strand (the client connection's, or the proxy's own)
// and hears of the client leaving through it.
#pragma once

#include <boost/asio/steady_timer.hpp>
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
  using ServerStep = void (H2ProxyExchange::*)(int status, std::size_t bytes);
  struct ServerOp;
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

  RequestPhase request_phase_ = RequestPhase::Connecting;
  ResponsePhase response_phase_ = ResponsePhase::Head;
  RequestOwnership ownership_ = RequestOwnership::Owned;
  ClientFacts client_facts_;
};

}  // namespace ancm::outofproc
