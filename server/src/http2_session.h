// One HTTP/2 connection (RFC 9113), server side: nghttp2 does the framing,
// HPACK and flow control; this class feeds it the bytes the ClientStream
// brings, writes what it wants sent (one write at a time, the frames of a
// strand turn coalesced into one), and maps its streams to Http2Streams,
// each one request through the handler ABI (http2_stream.h). Everything
// runs on the connection's strand.
//
// Lifetime: shared. The read loop, the write and the timer hold it; so does
// every stream a handler still owns (a handler's request outlives the
// socket, as under HTTP/1), so ancm_request handles stay valid until the
// handler ends them. Stream objects are pooled and reused: a stale handle
// reaches an object of this session whose generation moved on.
#pragma once

#include <nghttp2/nghttp2.h>

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/common/deadline_timer.h"
#include "ancm/common/nghttp2_handles.h"
#include "client_stream.h"
#include "connection.h"  // ConnectionContext
#include "connection_data.h"
#include "connection_registry.h"
#include "first_head_deadline.h"
#include "http2_session_state.h"
#include "response_writer.h"  // IoCallback
#include "strand.h"

namespace ancm::server {

class Http2Stream;

class Http2Session final : public Drainable, public std::enable_shared_from_this<Http2Session> {
 public:
  Http2Session(Strand strand, ClientStream stream, const ConnectionContext& context);
  ~Http2Session();
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  // Starts serving; initial_bytes were read from the stream already (the
  // client's preface, or part of it) and are fed to nghttp2 first. Until the
  // first request's header block ended, the header timers run no later than
  // first_head (the budget from accept).
  void start(std::string initial_bytes, FirstHeadDeadline first_head = {});
  // GOAWAY: no new streams; close once the open ones ended.
  void drain() override;

  // ---- for its streams (strand) ----
  nghttp2_session* ng() const { return session_.get(); }
  const Strand& strand() const { return strand_; }
  const ConnectionContext& context() const { return context_; }
  const ClientStream::Endpoints& endpoints() const { return endpoints_; }
  bool is_tls() const { return stream_.is_tls(); }
  int tls_info(ancm_tls_info* out) const { return stream_.tls_info(out); }
  ConnectionData& handler_data() { return handler_data_; }
  bool dead() const { return phase_ == Http2SessionPhase::Closed; }
  // nghttp2 has frames to send: a write starts on a later strand turn.
  void want_send();
  // A stream queued response bytes, or waits for body bytes: the flow timer
  // watches for a shut window or a client that stopped sending.
  void watch_flow();
  // A stream's body read waits under a minimum data rate: checked once a second.
  void watch_body_rates();
  // Runs cb once the write carrying what nghttp2 produced last is done.
  void after_write(IoCallback cb) { produced_callbacks_.push_back(cb); }
  // A handler owns a request (or a tunnel): the session stays.
  void request_dispatched();
  // A stream's head is complete: the sink gets it on a later strand turn,
  // with the others of this turn (one post for all of them).
  void dispatch(ancm_request* request);
  // The handler ended its request (complete, abort, reset).
  void request_ended(Http2Stream& stream);

  // ---- nghttp2's callbacks (http2_callbacks.cpp) ----
  int on_begin_headers(const nghttp2_frame& frame);
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame& frame);
  int on_data_chunk(int32_t stream_id, const uint8_t* data, std::size_t len);
  int on_frame_sent(const nghttp2_frame& frame);
  int on_stream_close(int32_t stream_id, uint32_t error_code);

 private:
  void submit_settings();
  void hand_over_dispatched();
  void read_more();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  bool feed(const uint8_t* data, std::size_t len);
  void send();
  void on_written(const boost::system::error_code& ec, std::vector<IoCallback> callbacks);
  void on_write_stalled();
  void refuse_connection(std::string_view why, uint32_t goaway_code);
  void on_timeout();
  void on_flow_timer();
  void on_body_rate_timer();
  Http2Stream* stream_of(int32_t stream_id) const;
  Http2Stream& take_stream();
  void recycle_if_done(Http2Stream& stream);
  void arm_idle_timer_if_idle();
  void arm_timer(std::chrono::steady_clock::duration timeout);
  void disarm_timer();
  void close_when_done();
  void end_cleanly();
  void close();
  void enter(Http2SessionPhase to);

  Strand strand_;
  ClientStream stream_;
  const ConnectionContext& context_;
  ClientStream::Endpoints endpoints_;
  common::Nghttp2SessionPtr session_;
  // The header, idle or GOAWAY timeout (common/deadline_timer.h: a stream's
  // HEADERS moves a deadline, not an Asio timer).
  common::DeadlineTimer timer_;
  // A write stalled past io_timeout closes the connection.
  common::DeadlineTimer write_timer_;
  bool logged_refusal_ = false;   // the refusal's warning went (once per connection)
  FirstHeadDeadline first_head_;  // met at the first dispatch
  // Armed while response bytes are queued: checks for windows shut past io_timeout.
  boost::asio::steady_timer flow_timer_;
  bool flow_timer_armed_ = false;
  // Armed while a body read waits under a minimum rate (body_data_rate.h).
  boost::asio::steady_timer body_rate_timer_;
  bool body_rate_timer_armed_ = false;
  ConnectionData handler_data_;  // shared by its streams (see handler_abi.h)

  // Every stream object this session made, and the free ones among them.
  std::vector<std::unique_ptr<Http2Stream>> streams_;
  std::vector<Http2Stream*> free_streams_;
  std::size_t open_streams_ = 0;  // nghttp2 streams with a stream object
  std::size_t in_handler_ = 0;    // requests a handler owns
  std::shared_ptr<Http2Session> self_while_in_handler_;
  std::vector<ancm_request*> to_dispatch_;  // for the sink, on the next strand turn
  std::vector<ancm_request*> dispatching_;  // what hand_over_dispatched is handing over

  std::array<uint8_t, 16 * 1024> read_buffer_{};
  bool reading_ = false;
  bool send_posted_ = false;
  bool writing_ = false;
  Http2SessionPhase phase_ = Http2SessionPhase::Serving;
  std::string out_;                             // the write in flight
  std::vector<IoCallback> produced_callbacks_;  // for the bytes nghttp2 produced last
};

// Serves an HTTP/2 connection on strand; initial_bytes were read from the
// stream already. The TLS path calls this when ALPN chose "h2".
std::shared_ptr<Http2Session> start_http2(Strand strand, ClientStream stream,
                                          const ConnectionContext& context,
                                          std::string initial_bytes = {},
                                          FirstHeadDeadline first_head = {});

}  // namespace ancm::server
