// One HTTP/2 stream served as one request through the handler ABI: the
// request head from the HEADERS frame (pseudo-headers, :authority as Host),
// the body from DATA frames (buffered up to the stream's window, which grows
// back only as the handler reads), the client's trailers, and the response
// as a HEADERS frame, DATA through an nghttp2 data source that defers until
// the handler writes, and trailers in the HEADERS frame that ends the stream.
// An extended CONNECT (RFC 8441) becomes a tunnel the handler reads and
// writes after upgrade() (http2_stream_tunnel.cpp, http2_tunnel_state.h).
// Owned and reused by its Http2Session; state in http2_stream_state.h.
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ancm/abi_strings.h"
#include "ancm/common/result.h"
#include "body_data_rate.h"
#include "http2_stream_state.h"
#include "http2_tunnel_state.h"
#include "request_handle.h"
#include "request_head.h"
#include "response_writer.h"  // IoCallback
#include "server_request.h"
#include "upgraded_stream.h"

namespace ancm::server {

class Http2Session;

class Http2Stream final : public ServerRequest, public UpgradedStream {
 public:
  explicit Http2Stream(Http2Session& session);

  // ---- the session's side (strand) ----
  void begin(int32_t stream_id);
  int32_t id() const { return id_; }
  // false once the head passed the header list limit.
  bool add_field(std::string_view name, std::string_view value);
  void dispatch(bool end_stream);
  void add_request_trailer(std::string_view name, std::string_view value);
  void on_data(const uint8_t* data, std::size_t len);
  void on_remote_end();
  void on_close(uint32_t error_code);
  void on_last_frame_sent();
  // nghttp2's data source: copies the queued body into buf.
  ssize_t read_response(uint8_t* buf, std::size_t len, uint32_t* flags);
  bool in_handler() const { return phase_ == Http2RequestPhase::InHandler; }
  bool receiving_head() const { return phase_ == Http2RequestPhase::ReceivingHead; }
  // On the session's flow timer: resets a stream whose response waited on a
  // shut window since the last check; true while it waits (not yet reset).
  bool check_window_stall();
  // The same for a body read: no DATA came for it since the last check (a
  // client that stops sending would hold the handler forever).
  bool check_read_stall();
  // On the session's body-rate timer: a body read that waited with the body
  // coming under its minimum rate is given up (408, or a reset once the
  // response began); true while a read still waits under a rate.
  bool check_body_rate(std::chrono::steady_clock::time_point now);
  bool recyclable() const;
  void recycle();

  // ---- ServerRequest ----
  ancm_str method() const override { return abi::str(method_); }
  ancm_str target() const override { return abi::str(target_); }
  ancm_str path() const override {
    return abi::str(std::string_view(target_).substr(0, path_len_));
  }
  ancm_str query() const override;
  int http_version() const override { return 20; }
  const std::vector<ancm_kv>& headers() const override { return header_spans_; }
  const std::vector<ancm_kv>& trailers() const override { return trailer_spans_; }
  ancm_str remote_address() const override;
  uint16_t remote_port() const override;
  ancm_str local_address() const override;
  uint16_t local_port() const override;
  bool has_body() const override { return has_body_; }
  ancm_str connect_protocol() const override { return abi::str(protocol_); }
  bool is_tls() const override;
  int tls_info(ancm_tls_info* out) const override;
  const Strand& strand() const override;
  ConnectionData& handler_data() override;

  void read_body(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) override;
  void set_min_body_rate(MinBodyRate rate) override;
  int set_status(int status, std::string_view reason) override;
  int add_header(std::string_view name, std::string_view value) override;
  int add_trailer(std::string_view name, std::string_view value) override;
  void write_body(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) override;
  void write_body_borrowed(const void* data, std::size_t len, ancm_io_callback cb,
                           void* ctx) override;
  void flush(ancm_io_callback cb, void* ctx) override;
  void complete() override;
  void abort() override;
  void reset(uint32_t error_code) override;
  void on_disconnect(ancm_disconnect_callback cb, void* ctx) override;
  void upgrade(UpgradeCallback cb, void* ctx) override;

  // ---- UpgradedStream: the tunnel of an extended CONNECT (http2_stream_tunnel.cpp) ----
  void stream_read(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) override;
  void stream_write(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) override;
  void stream_close() override;

 private:
  using Fields = std::vector<std::pair<std::string, std::string>>;
  struct Piece {
    std::string owned;
    std::string_view bytes;  // into owned, or the handler's (borrowed)
    IoCallback done;
  };

  template <class F>
  void on_strand(F&& f);
  common::Result<void, HeadRejection> check_head() const;
  void refuse_head(const HeadRejection& rejection);
  void build_request_spans();
  void fill_pending_read();
  void wait_for_data();
  void refuse_body(int status, int failure, uint32_t reset_code);
  void send_server_answer(int status);
  void append(std::string owned, std::string_view borrowed, IoCallback done);
  std::optional<uint64_t> enforced_length();
  std::optional<uint64_t> declared_length_locked() const;  // head_mutex_ held
  bool ends_short();
  void submit_head();
  void resume_response();
  void end_request();
  void observe_end(bool answered_by_host = false);
  void send_reset(uint32_t error_code);
  void fail_writes(int status);
  void notify(int client_gone);
  void post_callback(IoCallback cb, int status, std::size_t bytes);
  void enter(Http2RequestPhase to);
  void enter(Http2ResponsePhase to);
  void enter(Http2TunnelPhase to);
  // ---- the extended CONNECT (http2_stream_tunnel.cpp) ----
  bool tunnel_open() const { return tunnel_ == Http2TunnelPhase::Open; }
  // An extended CONNECT whose :protocol the server does not carry: a 501
  // the server answers (refuse_head) instead of the handler.
  common::Result<void, HeadRejection> check_connect_protocol() const;
  bool writable() const;

  Http2Session& session_;
  ancm_request handle_;  // generation-checked, one for every request this object serves
  int32_t id_ = 0;

  // request head (fixed at dispatch)
  std::string method_, target_, scheme_, authority_;
  std::string protocol_;  // :protocol, on an extended CONNECT (RFC 8441)
  std::size_t path_len_ = 0;
  Fields fields_;
  std::size_t head_bytes_ = 0;
  std::vector<ancm_kv> header_spans_;
  mutable std::vector<HeadField> head_fields_;  // check_head's storage, kept between requests
  Fields trailer_fields_;
  std::vector<ancm_kv> trailer_spans_;
  bool has_body_ = false;

  // request body: buffered up to the stream's window
  std::string body_;
  std::size_t body_offset_ = 0;
  std::size_t body_received_ = 0;
  int body_failure_ = 0;
  IoCallback pending_read_;
  void* read_buf_ = nullptr;
  std::size_t read_cap_ = 0;
  bool reading_ = false;
  BodyDataRateClock body_rate_;  // the handler's body reads (not a tunnel's)

  // response: the head under head_mutex_ (handler threads), the rest on the strand
  std::mutex head_mutex_;
  int status_ = 200;
  Fields response_fields_;
  Fields response_trailers_;
  std::optional<uint64_t> declared_length_;  // set with the head (submit_head)
  std::vector<nghttp2_nv> head_nv_;          // submit_head's storage, kept between requests
  std::deque<Piece> pieces_;
  std::size_t piece_offset_ = 0;
  uint64_t body_written_ = 0;        // bytes the handler's accepted writes carry
  bool body_done_ = false;           // complete(): no more pieces come
  bool deferred_ = false;            // the data source said DEFERRED: resume it on the next piece
  bool stall_noticed_ = false;       // the last flow check found the window shut
  uint64_t body_checked_ = 0;        // body_received_ at the last read-stall check
  bool read_stall_noticed_ = false;  // the last check found the read waiting, no DATA since
  bool no_body_ = false;             // HEAD, 1xx, 204, 304: written bytes are dropped
  int answered_status_ = 0;          // the server's own answer (send_server_answer), else 0
  std::chrono::steady_clock::time_point started_;  // the head began (observe_end)

  ancm_disconnect_callback disconnect_cb_ = nullptr;
  void* disconnect_ctx_ = nullptr;

  Http2RequestPhase phase_ = Http2RequestPhase::Free;
  Http2ResponsePhase response_ = Http2ResponsePhase::NotStarted;
  Http2StreamFacts facts_;
  Http2TunnelPhase tunnel_ = Http2TunnelPhase::None;
};

}  // namespace ancm::server
