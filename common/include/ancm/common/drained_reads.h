// Socket reads that skip the read that would only say "nothing more yet".
//
// Asio's epoll reactor (Boost 1.81) reads a socket speculatively before it
// waits for epoll, and keeps doing so until a read returns 0 bytes. In a
// request/response protocol every message thus costs a second recv that fails
// with EAGAIN: one per request from the client and one per response from the
// child. nginx avoids it by trusting a short read; that guess is wrong when a
// FIN sits behind the data (its edge is spent), so nginx needs EPOLLRDHUP.
//
// Linux says exactly: with TCP_INQ on, every recvmsg carries the bytes left in
// the receive queue (non-zero once a FIN is queued, so EOF is never missed).
// A drained read that leaves 0 bytes tells the reactor the socket is drained
// ("exhausted"): the next read waits for epoll's next edge, which new data
// raises, instead of trying first. Without TCP_INQ (a Unix domain socket, an
// older kernel) the read behaves as Asio's own.
//
// The one thing the hint cannot say is a reset: an RST queued behind the
// data leaves the hint at 0, and its edge was spent with the data's. A write
// on the socket after that read fails (the protocol then closes the
// connection), so a read that follows a write may wait without trying: that
// is the request/response case, where the saving is. A read that follows
// another read with no write between (a body after its head, the next piece
// of a body) tries the socket first, as Asio would (ReadDrain says which),
// unless the protocol says a write follows it (ReadDrain::write_follows).
//
// Use: enable_queue_hint(socket) once per connected TCP socket, then read
// through async_read_some_drained with the socket's ReadDrain, or a
// DrainedReads<Socket>; writes on the socket say so (ReadDrain::wrote). A
// write that does not (a splice, a raw syscall) only costs a try. Nothing
// else may wait to read on the socket meanwhile (an async_wait for
// readability): Asio runs what is queued behind an exhausted read only at the
// next edge.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

// (basic_stream_socket first: Asio's detail header assumes socket_base.)
#include <atomic>
#include <boost/asio/append.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/reactive_socket_recv_op.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <boost/version.hpp>
#include <cstring>
#include <type_traits>
#include <utility>

namespace ancm::common {

// How one socket's reads go: drained or as Asio's own (stop(): a read that
// nothing bounds, such as a tunnel's), and whether the last drained read
// spent epoll's edge. Kept beside the socket; it must not move while a read
// is pending (the read's operation points at it).
class ReadDrain {
 public:
  ReadDrain() = default;
  explicit ReadDrain(bool on) : on_(on) {}
  ReadDrain(ReadDrain&& other) noexcept : on_(other.on_), spent_(other.spent()) {}
  ReadDrain& operator=(ReadDrain&& other) noexcept {
    on_ = other.on_;
    spend(other.spent());
    return *this;
  }

  bool on() const { return on_; }
  // Reads from now on are Asio's own.
  void stop() { on_ = false; }
  // A write on the socket starts: a reset that came before it fails it, so
  // the next read may wait without trying.
  void wrote() noexcept { spend(false); }
  // The protocol writes before it needs what the next read would tell of a
  // reset (a server's response follows its watch on the client): that read
  // may wait without trying, and the write reports the reset.
  void write_follows() noexcept { spend(false); }

  // The last read left the socket with no edge to come for what it holds:
  // the next read tries first (set by the reactor operation below).
  bool spent() const noexcept { return spent_.load(std::memory_order_relaxed); }
  void spend(bool spent) noexcept { spent_.store(spent, std::memory_order_relaxed); }

 private:
  bool on_ = false;
  // Written where the reactor performs the read (any loop thread), read on
  // the socket's strand after that read completed.
  std::atomic<bool> spent_{false};
};

// One buffer to read into, and the socket's ReadDrain; the type selects the
// reactor operation below.
struct DrainedBuffer : boost::asio::mutable_buffer {
  DrainedBuffer(const boost::asio::mutable_buffer& buffer, ReadDrain* read_drain)
      : boost::asio::mutable_buffer(buffer), drain(read_drain) {}
  ReadDrain* drain;
};

namespace detail {

// One recvmsg into data, asking for the queue hint, retried on EINTR; false
// on EAGAIN. left is the hint, or -1 when the kernel gave none. Descriptors
// a Unix domain peer passed (a misuse: such a socket has no hint) are
// closed, never kept.
inline bool receive_with_hint(int fd, void* data, std::size_t size, int flags,
                              boost::system::error_code& ec, std::size_t& got, int& left) {
  iovec iov{data, size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  for (;;) {
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC);
    if (n >= 0) {
      ec = {};
      got = static_cast<std::size_t>(n);
      left = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ &&
            c->cmsg_len >= CMSG_LEN(sizeof(int))) {
          std::memcpy(&left, CMSG_DATA(c), sizeof left);
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
          std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
          for (std::size_t i = 0; i < count; ++i) {
            int passed = -1;
            std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof passed);
            ::close(passed);
          }
        }
      }
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    ec = boost::system::error_code(errno, boost::asio::error::get_system_category());
    got = 0;
    return true;
  }
}

// The first non-empty buffer of a sequence (what a read_some fills), or an
// empty one.
template <class MutableBuffers>
boost::asio::mutable_buffer first_buffer(const MutableBuffers& buffers) {
  for (auto it = boost::asio::buffer_sequence_begin(buffers);
       it != boost::asio::buffer_sequence_end(buffers); ++it) {
    boost::asio::mutable_buffer buffer(*it);
    if (buffer.size() > 0) return buffer;
  }
  return {};
}

}  // namespace detail

// socket.async_read_some(buffers, handler) under drain's rules: into the
// first non-empty buffer; drained while drain.on(); tried at once first when
// the last read spent the edge (the result is then posted, as Asio posts a
// read that ended at once). void(error_code, std::size_t).
template <class Socket, class MutableBuffers, class Handler>
void async_read_some_drained(Socket& socket, ReadDrain& drain, const MutableBuffers& buffers,
                             Handler&& handler) {
  auto buffer = detail::first_buffer(buffers);
  if (drain.spent() && buffer.size() > 0) {
    boost::system::error_code ec;
    std::size_t got = 0;
    int left = -1;
    if (detail::receive_with_hint(socket.native_handle(), buffer.data(), buffer.size(), 0, ec, got,
                                  left)) {
      if (!ec && got == 0) ec = boost::asio::error::eof;
      // The reactor still waits for an edge: the next read tries again.
      boost::asio::post(socket.get_executor(),
                        boost::asio::append(std::forward<Handler>(handler), ec, got));
      return;
    }
    // Found empty: anything that comes now raises an edge.
    drain.spend(false);
  }
  if (drain.on()) {
    return socket.async_read_some(DrainedBuffer(buffer, &drain), std::forward<Handler>(handler));
  }
  socket.async_read_some(buffer, std::forward<Handler>(handler));
}

// Asks the kernel for the queue hint on this socket's reads. False (and
// reads as before) where the socket is not TCP or the kernel lacks TCP_INQ.
template <class Socket>
bool enable_queue_hint(Socket& socket) {
  int on = 1;
  return ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_INQ, &on, sizeof on) == 0;
}

// Whether enable_queue_hint took on this socket (false on a Unix domain one).
template <class Socket>
bool queue_hint_enabled(const Socket& socket) {
  int on = 0;
  socklen_t size = sizeof on;
  return ::getsockopt(const_cast<Socket&>(socket).native_handle(), IPPROTO_TCP, TCP_INQ, &on,
                      &size) == 0 &&
         on != 0;
}

// A stream socket whose reads are drained and whose async writes say so: for
// code that is handed the socket (Beast's parsers, asio::async_write) rather
// than calling read itself. Call stop_draining() for reads nothing bounds.
template <class Socket>
class DrainedReads : public Socket {
 public:
  template <class... Args>
  explicit DrainedReads(Args&&... args) : Socket(std::forward<Args>(args)...), drain_(true) {}

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    async_read_some_drained(static_cast<Socket&>(*this), drain_, buffers,
                            std::forward<Handler>(handler));
  }
  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    drain_.wrote();
    return Socket::async_write_some(buffers, std::forward<Handler>(handler));
  }
  void stop_draining() { drain_.stop(); }

 private:
  ReadDrain drain_;
};

}  // namespace ancm::common

// The reactor operation for a DrainedBuffer: Asio's receive, with recvmsg
// for the queue hint. Its constructor and members follow Boost 1.81's
// primary template, which reactive_socket_recv_op derives from. Another
// Boost compiles the plain operation (reads as before) until this is checked
// against it; DrainedReadsTest then says so.
#if BOOST_VERSION / 100 == 1081 && !defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
namespace boost::asio::detail {

template <>
class reactive_socket_recv_op_base<ancm::common::DrainedBuffer> : public reactor_op {
 public:
  reactive_socket_recv_op_base(const boost::system::error_code& success_ec, socket_type socket,
                               socket_ops::state_type state,
                               const ancm::common::DrainedBuffer& buffer,
                               socket_base::message_flags flags, func_type complete_func)
      : reactor_op(success_ec, &reactive_socket_recv_op_base::do_perform, complete_func),
        socket_(socket),
        state_(state),
        buffer_(buffer),
        drain_(buffer.drain),
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<reactive_socket_recv_op_base*>(base);
    status result = o->perform();
    if (result != not_done && o->drain_ != nullptr) o->drain_->spend(result == done_and_exhausted);
    return result;
  }

 private:
  status perform() {
    const bool stream = (state_ & socket_ops::stream_oriented) != 0;
    int left = -1;
    if (!ancm::common::detail::receive_with_hint(socket_, buffer_.data(), buffer_.size(), flags_,
                                                 ec_, bytes_transferred_, left)) {
      return not_done;
    }
    if (ec_) return stream && bytes_transferred_ == 0 ? done_and_exhausted : done;
    if (stream && bytes_transferred_ == 0 && buffer_.size() != 0) {
      ec_ = boost::asio::error::eof;
      return done_and_exhausted;
    }
    return left == 0 ? done_and_exhausted : done;
  }

  socket_type socket_;
  socket_ops::state_type state_;
  boost::asio::mutable_buffer buffer_;
  ancm::common::ReadDrain* drain_;
  socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
#endif
