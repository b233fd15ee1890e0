// The byte stream a client connection speaks over, whatever carries it: a
// TCP or Unix domain socket, or TLS over one (after its handshake,
// tls_handshake.h). The
// protocol code (Connection for HTTP/1.x) reads and writes through this and
// never touches the transport itself.
//
// An Asio AsyncReadStream and AsyncWriteStream: one read and one write may be
// in flight at once, both started on the connection's strand.
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ancm/common/drained_reads.h"
#include "ancm/handler_abi.h"
#include "strand.h"
#include "tls_socket.h"

namespace ancm::server {

// What a TLS handshake agreed, read once when it ended (tls_info).
struct TlsFacts {
  std::string protocol;  // "TLSv1.3"
  std::string cipher;    // OpenSSL's name
  std::string alpn;      // "http/1.1", "h2", or empty
  std::string server_name;
  std::vector<std::uint8_t> client_certificate;  // DER, empty when none
};

class ClientStream {
 public:
  // Any stream socket family: TCP over IPv4 or IPv6, or a Unix domain socket.
  using Socket = boost::asio::generic::stream_protocol::socket;
  using TlsStream = TlsSocket;
  using executor_type = Socket::executor_type;

  // An accepted socket, moved onto the connection's strand (its completions
  // run there) with Nagle off (TCP only).
  static Socket adopt_socket(const Strand& strand, Socket accepted);
  static ClientStream adopt(const Strand& strand, Socket accepted) {
    return ClientStream(adopt_socket(strand, std::move(accepted)));
  }

  explicit ClientStream(Socket socket)
      : transport_(std::move(socket)),
        drain_(common::queue_hint_enabled(std::get<Socket>(transport_))) {}
  // A stream whose handshake ended.
  explicit ClientStream(TlsStream tls);

  executor_type get_executor() { return lowest_layer().get_executor(); }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (auto* tls = std::get_if<TlsStream>(&transport_)) {
      return tls->async_read_some(buffers, std::forward<Handler>(handler));
    }
    common::async_read_some_drained(std::get<Socket>(transport_), drain_, buffers,
                                    std::forward<Handler>(handler));
  }
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (auto* tls = std::get_if<TlsStream>(&transport_)) {
      return tls->async_write_some(one_record(buffers), std::forward<Handler>(handler));
    }
    drain_.wrote();
    std::get<Socket>(transport_).async_write_some(buffers, std::forward<Handler>(handler));
  }

  // The next read may wait without trying though a read came just before
  // it: a write follows, which reports a reset (ReadDrain::write_follows).
  void write_follows() {
    drain_.write_follows();
    if (auto* tls = std::get_if<TlsStream>(&transport_)) tls->write_follows();
  }

  // Reads from now on are Asio's own, not drained (common/drained_reads.h):
  // for reads that no deadline or write bounds, such as a tunnel's.
  void stop_draining() {
    drain_.stop();
    if (auto* tls = std::get_if<TlsStream>(&transport_)) tls->stop_draining();
  }

  // Ends a pending read or write with operation_aborted.
  void cancel() {
    boost::system::error_code ignored;
    lowest_layer().cancel(ignored);
  }
  // Our end of a cleartext stream: the peer reads EOF (a FIN). A TLS
  // stream ends with close_gracefully instead (close_notify first).
  void shutdown_send() {
    boost::system::error_code ignored;
    lowest_layer().shutdown(Socket::shutdown_send, ignored);
  }
  // Abortive: no close_notify over TLS (a failure, a timeout, abort()).
  void close() {
    boost::system::error_code ignored;
    lowest_layer().close(ignored);
  }
  // The protocol ended the connection cleanly. Over TLS the stream goes to a
  // closer of its own (tls_closer.h: close_notify, FIN, the client's last
  // bytes discarded, within linger); over TCP it is closed (FIN). Either way
  // this stream is closed afterwards (tls() is kept). No read or write may be
  // pending: a protocol cancels its read and calls this from its end.
  void close_gracefully(std::chrono::steady_clock::duration linger);

  // The peer's and our address, numeric, and ports (empty and 0 when unknown,
  // and over a Unix domain socket, which has no IP: the app then sees no
  // RemoteIpAddress, as on Kestrel). peer is how log lines name the client:
  // "127.0.0.1:5000", "[::1]:5000", or "unix:/run/app.sock" (the socket file
  // it came through; its own end has no name).
  struct Endpoints {
    std::string remote_address, local_address;
    unsigned short remote_port = 0, local_port = 0;
    std::string peer = "unknown";
  };
  Endpoints endpoints() const;
  static Endpoints endpoints_of(const Socket& socket);

  // ---- a cleartext stream's bytes straight from a pipe (write_body_from_pipe) ----
  // Moves up to len bytes from a pipe's read end to the socket with
  // splice(2), never through user space: the count moved, or 0 and ec
  // (would_block while the socket is full; errc::io_error when the pipe holds
  // fewer bytes than the caller promised). Cleartext only (not is_tls()).
  // splice(2) has no MSG_NOSIGNAL: the process must ignore SIGPIPE (the
  // worker does), or a client that reset its connection raises it.
  std::size_t splice_from_pipe(int pipe_fd, std::size_t len, boost::system::error_code& ec);
  // ---- a cleartext stream's bytes straight into a pipe (read_body_to_pipe) ----
  // Moves up to len bytes the socket holds now into a pipe's write end with
  // splice(2), never waiting: the count, or 0 with ec (would_block when
  // nothing is there, or the pipe is full; eof at the peer's FIN).
  // Cleartext only, and only while no async read is pending (as read_available).
  std::size_t splice_to_pipe(int pipe_fd, std::size_t len, boost::system::error_code& ec);
  // ---- a cleartext stream's bytes that are already here ----
  // Reads up to len bytes the socket holds now, never waiting: the count, or
  // 0 with ec (would_block when nothing is there, eof at the peer's FIN).
  // Cleartext only, and only while no async read is pending: the reactor may
  // run a pending read on another thread, and the bytes would come out of order.
  std::size_t read_available(void* data, std::size_t len, boost::system::error_code& ec);
  // Completes (on the stream's executor) once the socket may take more bytes.
  template <class Handler>
  void async_wait_writable(Handler&& handler) {
    lowest_layer().async_wait(Socket::wait_write, std::forward<Handler>(handler));
  }

  bool is_tls() const { return tls_.has_value(); }
  // Set over TLS only.
  const std::optional<TlsFacts>& tls() const { return tls_; }
  // The handler ABI's view of tls(): 0 and *out filled, or -ENOENT (and *out
  // zeroed) over cleartext. The spans point into this stream.
  int tls_info(ancm_tls_info* out) const;
  // The protocol ALPN chose; empty over cleartext or without ALPN.
  std::string_view alpn() const { return tls_ ? std::string_view(tls_->alpn) : std::string_view(); }

 private:
  // Up to one TLS record's worth of plaintext.
  static constexpr std::size_t kRecordBytes = 16 * 1024;

  Socket& lowest_layer() {
    auto* tls = std::get_if<TlsStream>(&transport_);
    return tls ? tls->next_layer() : std::get<Socket>(transport_);
  }
  const Socket& lowest_layer() const {
    auto* tls = std::get_if<TlsStream>(&transport_);
    return tls ? tls->next_layer() : std::get<Socket>(transport_);
  }

  // A TLS write takes one buffer of a gather list at a time (TlsSocket): small
  // buffers (a head, a chunk's size line) are copied into one, up to a record.
  template <class ConstBuffers>
  boost::asio::const_buffer one_record(const ConstBuffers& buffers);

  std::variant<Socket, TlsStream> transport_;
  // A cleartext TCP socket's reads drain (drained_reads.h); a read must not
  // be pending while the stream moves.
  common::ReadDrain drain_;
  std::optional<TlsFacts> tls_;
  std::vector<char> record_;  // one_record's copy; one write is in flight at a time
};

inline ClientStream::Socket ClientStream::adopt_socket(const Strand& strand, Socket accepted) {
  boost::system::error_code ec;
  Socket socket(strand);
  auto protocol = accepted.local_endpoint(ec).protocol();
  socket.assign(protocol, accepted.release(), ec);
  if (protocol.family() != AF_UNIX) {
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
    common::enable_queue_hint(socket);
  }
  return socket;
}

template <class ConstBuffers>
boost::asio::const_buffer ClientStream::one_record(const ConstBuffers& buffers) {
  auto it = boost::asio::buffer_sequence_begin(buffers);
  auto end = boost::asio::buffer_sequence_end(buffers);
  while (it != end && boost::asio::const_buffer(*it).size() == 0) ++it;
  if (it == end) return {};
  boost::asio::const_buffer first(*it);
  if (first.size() >= kRecordBytes || std::next(it) == end) return first;
  record_.clear();
  for (; it != end && record_.size() < kRecordBytes; ++it) {
    boost::asio::const_buffer piece(*it);
    auto take = std::min(piece.size(), kRecordBytes - record_.size());
    auto* bytes = static_cast<const char*>(piece.data());
    record_.insert(record_.end(), bytes, bytes + take);
  }
  return boost::asio::buffer(record_);
}

}  // namespace ancm::server
