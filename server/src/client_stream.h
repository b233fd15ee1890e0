// The byte stream a client connection speaks over, whatever carries it. The
// protocol code (Connection for HTTP/1.x) reads and writes through this and
// never touches the transport itself, so a transport (TLS, a Unix socket) is
// added here without touching the protocols.
//
// An Asio AsyncReadStream and AsyncWriteStream: one read and one write may be
// in flight at once, both started on the connection's strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <string>
#include <utility>

#include "strand.h"

namespace ancm::server {

class ClientStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using executor_type = Socket::executor_type;

  // An accepted socket, moved onto the connection's strand (its completions
  // run there) with Nagle off.
  static ClientStream adopt(const Strand& strand, Socket accepted);

  explicit ClientStream(Socket socket) : socket_(std::move(socket)) {}

  executor_type get_executor() { return socket_.get_executor(); }

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    return socket_.async_write_some(buffers, std::forward<Handler>(handler));
  }

  // Ends a pending read or write with operation_aborted.
  void cancel() {
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }
  // Our end of the stream: the peer reads EOF (a FIN).
  void shutdown_send() {
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_send, ignored);
  }
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  // The peer's and our address, numeric, and ports (empty and 0 when unknown).
  struct Endpoints {
    std::string remote_address, local_address;
    unsigned short remote_port = 0, local_port = 0;
  };
  Endpoints endpoints() const;

  bool is_tls() const { return false; }

 private:
  Socket socket_;
};

inline ClientStream ClientStream::adopt(const Strand& strand, Socket accepted) {
  boost::system::error_code ec;
  Socket socket(strand);
  auto protocol = accepted.local_endpoint(ec).protocol();
  socket.assign(protocol, accepted.release(), ec);
  socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  return ClientStream(std::move(socket));
}

inline ClientStream::Endpoints ClientStream::endpoints() const {
  Endpoints result;
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    result.remote_address = remote.address().to_string();
    result.remote_port = remote.port();
  }
  auto local = socket_.local_endpoint(ec);
  if (!ec) {
    result.local_address = local.address().to_string();
    result.local_port = local.port();
  }
  return result;
}

}  // namespace ancm::server
