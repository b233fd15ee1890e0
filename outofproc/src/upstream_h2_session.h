// One HTTP/2 connection (h2c, prior knowledge) to a child whose port speaks
// only HTTP/2 (Kestrel's Protocols=Http2), carrying many requests at once.
// nghttp2 frames and parses; this class moves its bytes over an Asio socket
// and hands each stream's events to its owner (upstream_h2_sink.h).
//
// Everything runs on the session's own strand: the public calls post onto
// it, nghttp2 is only touched there. Concurrency beyond the child's
// SETTINGS_MAX_CONCURRENT_STREAMS waits in nghttp2 (its HEADERS go out as
// streams end). Flow control both ways: the request body is pulled one piece
// at a time (the owner gives the next after on_body_taken), and the response
// body's window opens only as the owner consumes what it relayed.
#pragma once

#include <nghttp2/nghttp2.h>
#include <sys/types.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ancm/common/nghttp2_handles.h"
#include "process_manager.h"
#include "upstream_h2_session_state.h"
#include "upstream_h2_sink.h"

namespace ancm::outofproc {

// What one session takes from the child, as the front end's HttpLimits bound
// what it takes from a client: a stream's window bounds what one slow client
// leaves unread, the connection's all of them; a response's header list is
// bounded (SETTINGS_MAX_HEADER_LIST_SIZE, enforced: past it the stream fails,
// 502); and a child that stops reading fails the connection after the write
// timeout rather than holding its requests forever.
struct H2Limits {
  std::int32_t stream_window = 256 * 1024;
  std::int32_t connection_window = 16 * 1024 * 1024;
  std::size_t max_response_header_bytes = 64 * 1024;
  std::chrono::milliseconds write_timeout{std::chrono::seconds(60)};
};

class UpstreamH2Session : public std::enable_shared_from_this<UpstreamH2Session> {
 public:
  using Executor = boost::asio::io_context::executor_type;
  using Strand = boost::asio::strand<Executor>;
  using StreamKey = std::uint64_t;

  struct Target {
    std::uint16_t port = 0;
    pid_t pid = 0;  // for messages
  };

  // Connects and starts; streams may be opened at once.
  static std::shared_ptr<UpstreamH2Session> start(const Executor& executor, Target target,
                                                  Logger log, H2Limits limits = {});
  ~UpstreamH2Session();
  UpstreamH2Session(const UpstreamH2Session&) = delete;
  UpstreamH2Session& operator=(const UpstreamH2Session&) = delete;

  // False once the child sent GOAWAY or the connection is gone: new requests
  // need a new session. Any thread.
  bool accepting() const { return accepting_.load(); }
  const Target& target() const { return target_; }

  // A new stream for `head`; events go to `sink` until on_stream_end. Any thread.
  StreamKey open_stream(H2RequestHead head, std::shared_ptr<UpstreamH2Sink> sink);
  // The next piece of the request body (one at a time: after on_body_taken);
  // `last` ends the body, with the request's trailer fields if any.
  void send_body(StreamKey key, std::string piece, bool last, H2Fields trailers = {});
  // The owner relayed `bytes` of the response body: the window reopens by as much.
  void consume(StreamKey key, std::size_t bytes);
  // Resets the stream (RST_STREAM with error_code, e.g. NGHTTP2_CANCEL).
  void cancel(StreamKey key, std::uint32_t error_code);
  // Closes the connection; every open stream ends as failed.
  void close();

  struct Stream;  // one request's stream (upstream_h2_session.cpp)

 private:
  struct Key {};

 public:
  UpstreamH2Session(Key, const Executor& executor, Target target, Logger log, H2Limits limits);

  // For nghttp2's callbacks only (upstream_h2_callbacks.cpp), on the strand,
  // from inside nghttp2_session_mem_recv/mem_send.
  // false: the response's header list passed the limit, the stream is reset.
  bool on_stream_header(Stream& stream, std::string_view name, std::string_view value);
  void on_stream_headers_done(Stream& stream, bool end_stream);
  void on_stream_data(Stream& stream, const std::uint8_t* data, std::size_t size);
  void on_stream_data_end(Stream& stream);
  void on_stream_closed(Stream& stream, std::uint32_t error_code);
  void on_goaway(std::uint32_t error_code);
  void on_settings();
  ssize_t read_body(Stream& stream, std::uint8_t* buffer, std::size_t size, std::uint32_t* flags);

 private:
  void connect();
  void on_connected(const boost::system::error_code& ec);
  void submit(Stream& stream);
  void drop_unsent(StreamKey key, std::uint32_t error_code);
  void refuse_extended_connect(Stream& stream);
  void read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void flush();
  void on_written(const boost::system::error_code& ec);
  void on_write_timeout(const boost::system::error_code& ec);
  void fail(const std::string& why);
  void end_all_streams(const std::string& why);
  void close_if_done();
  [[nodiscard]] bool enter(H2SessionPhase to);
  std::string describe() const;

  Strand strand_;
  boost::asio::ip::tcp::socket socket_;
  const Target target_;
  const Logger log_;
  const H2Limits limits_;
  common::Nghttp2SessionPtr session_;
  boost::asio::steady_timer write_timer_;  // armed while a write is under way
  H2SessionPhase phase_ = H2SessionPhase::Connecting;
  std::atomic<bool> accepting_{true};
  std::atomic<StreamKey> next_key_{1};
  std::unordered_map<StreamKey, std::unique_ptr<Stream>> streams_;
  // The child's first SETTINGS frame came: an extended CONNECT may be judged.
  bool settings_received_ = false;
  std::vector<StreamKey> awaiting_settings_;  // extended CONNECTs opened before them
  std::vector<std::uint8_t> input_;
  std::string output_;  // being written
  bool writing_ = false;
  // Response bytes of streams that closed before their owner relayed them:
  // the connection's window is given back for them (flush).
  std::size_t orphaned_bytes_ = 0;
};

}  // namespace ancm::outofproc
