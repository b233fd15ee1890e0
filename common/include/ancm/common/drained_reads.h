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
// A read through a DrainedBuffer that leaves 0 bytes tells the reactor the
// socket is drained ("exhausted"): the next read waits for epoll's next edge,
// which new data raises, instead of trying first. Without TCP_INQ (a Unix
// domain socket, an older kernel) the read behaves as Asio's own.
//
// The one thing the hint cannot say is a reset: an RST queued behind the
// data leaves the hint at 0, and the read after it waits for an edge that was
// already spent. The reset then shows at the next write on the socket, or at
// a deadline. So drain only reads that one of those follows: a protocol's
// reads under its timeouts, where a response is written next. Not a
// long-lived read with neither (the proxy's HTTP/2 session to a child).
//
// Use: enable_queue_hint(socket) once per connected TCP socket, then read
// through drained(buffers) or a DrainedReads<Socket>; only on a socket whose
// hint is on (queue_hint_enabled): the read asks for control messages.
// Nothing else may wait to read on the socket meanwhile (an async_wait for
// readability): Asio runs what is queued behind an exhausted read only at
// the next edge.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

// (basic_stream_socket first: Asio's detail header assumes socket_base.)
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/reactive_socket_recv_op.hpp>
#include <boost/system/error_code.hpp>
#include <boost/version.hpp>
#include <cstring>
#include <type_traits>
#include <utility>

namespace ancm::common {

// One buffer to read into; the type selects the reactor operation below.
struct DrainedBuffer : boost::asio::mutable_buffer {
  explicit DrainedBuffer(const boost::asio::mutable_buffer& buffer)
      : boost::asio::mutable_buffer(buffer) {}
};

// A single buffer becomes a DrainedBuffer; a sequence of several is read as
// Asio reads it.
template <class MutableBuffers>
auto drained(const MutableBuffers& buffers) {
  if constexpr (std::is_convertible_v<MutableBuffers, boost::asio::mutable_buffer>) {
    return DrainedBuffer(buffers);
  } else {
    return buffers;
  }
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

// A stream socket whose async_read_some reads through drained(): for code
// that is handed the socket (Beast's parsers) rather than calling read itself.
template <class Socket>
class DrainedReads : public Socket {
 public:
  using Socket::Socket;
  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return Socket::async_read_some(drained(buffers), std::forward<Handler>(handler));
  }
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
        flags_(flags) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<reactive_socket_recv_op_base*>(base);
    const bool stream = (o->state_ & socket_ops::stream_oriented) != 0;
    int left = -1;  // the queue hint; -1 when the kernel gave none
    if (!receive(*o, left)) return not_done;
    if (o->ec_) return stream && o->bytes_transferred_ == 0 ? done_and_exhausted : done;
    if (stream && o->bytes_transferred_ == 0 && o->buffer_.size() != 0) {
      o->ec_ = boost::asio::error::eof;
      return done_and_exhausted;
    }
    return left == 0 ? done_and_exhausted : done;
  }

 private:
  // One recvmsg, retried on EINTR; false on EAGAIN (wait for epoll).
  static bool receive(reactive_socket_recv_op_base& o, int& left) {
    iovec iov{o.buffer_.data(), o.buffer_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    for (;;) {
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = ::recvmsg(o.socket_, &msg, o.flags_ | MSG_CMSG_CLOEXEC);
      if (n >= 0) {
        o.ec_ = boost::system::error_code();
        o.bytes_transferred_ = static_cast<std::size_t>(n);
        left = queue_hint(msg);
        return true;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      o.ec_ = boost::system::error_code(errno, boost::asio::error::get_system_category());
      o.bytes_transferred_ = 0;
      return true;
    }
  }

  // The hint, or -1. Descriptors a Unix domain peer passed (a misuse: such
  // a socket has no hint) are closed, never kept.
  static int queue_hint(msghdr& msg) {
    int left = -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_TCP && c->cmsg_type == TCP_CM_INQ &&
          c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        std::memcpy(&left, CMSG_DATA(c), sizeof left);
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
          int fd = -1;
          std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
          ::close(fd);
        }
      }
    }
    return left;
  }

  socket_type socket_;
  socket_ops::state_type state_;
  boost::asio::mutable_buffer buffer_;
  socket_base::message_flags flags_;
};

}  // namespace boost::asio::detail
#endif
