// ProxyExchange after the child's 101: the upgrade through the server, then
// the tunnel between the client's raw stream and the upstream connection.
// Its state is ResponsePhase's Upgrading → Tunnel → TunnelClosed.
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <utility>

#include "proxy_exchange.h"

namespace ancm::outofproc {
namespace asio = boost::asio;

// The 101 goes to the client through the server's upgrade, which hands over
// the raw stream; the child's connection is the tunnel's other end.
void ProxyExchange::accept_upgrade() {
  if (!forwarded_.is_upgrade) {
    return upstream_failed(child_name() + " switched protocols on a request that asked for none");
  }
  if (!relay_response_head() || !enter(ResponsePhase::Upgrading)) return;
  stop_timer();
  if (!may_use_request("upgrade")) return;
  auto op = std::make_unique<ServerOp>(ServerOp{shared_from_this(), nullptr});
  context_->api->upgrade(request_, &ProxyExchange::on_upgraded, op.release());
}

void ProxyExchange::on_upgraded(void* ctx, ancm_stream* stream) {
  std::unique_ptr<ServerOp> op(static_cast<ServerOp*>(ctx));
  auto exchange = std::move(op->exchange);
  asio::post(exchange->strand_, [exchange, stream] { exchange->start_tunnel(stream); });
}

// The request ends once the 101 is out. If it ended already (the client went
// away meanwhile), it is not ended twice, and there is nothing to tunnel.
void ProxyExchange::start_tunnel(ancm_stream* stream) {
  stream_ = stream;
  bool was_owned = owns_request();
  if (was_owned) complete_request();
  if (!stream_ || !was_owned) return close_tunnel();
  if (!enter(ResponsePhase::Tunnel)) return;
  // Asio's own reads from now on, not drained ones (common/drained_reads.h):
  // nothing bounds a tunnel's read, so a reset behind the child's last bytes
  // must show at the next read.
  upstream_->socket.stop_draining();
  tunnel_client_to_child();
  tunnel_child_to_client();
}

void ProxyExchange::tunnel_client_to_child() {
  tunnel_in_.resize(kBodyBuffer);
  context_->api->stream_read(stream_, tunnel_in_.data(), tunnel_in_.size(),
                             &ProxyExchange::on_server_io,
                             server_op(&ProxyExchange::on_tunnel_client_read));
}

void ProxyExchange::on_tunnel_client_read(int status, std::size_t bytes) {
  if (status < 0 || bytes == 0 || response_phase_ != ResponsePhase::Tunnel) return close_tunnel();
  asio::async_write(
      upstream_->socket, asio::buffer(tunnel_in_.data(), bytes),
      asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, std::size_t) {
        if (ec) return self->close_tunnel();
        self->tunnel_client_to_child();
      }));
}

void ProxyExchange::tunnel_child_to_client() {
  if (response_phase_ != ResponsePhase::Tunnel) return;
  if (upstream_->input.size() > 0) {
    // Bytes the child sent right after its 101 come first.
    auto data = upstream_->input.data();
    tunnel_out_.assign(static_cast<const char*>(data.data()),
                       static_cast<const char*>(data.data()) + data.size());
    upstream_->input.clear();
    return on_tunnel_child_read({}, tunnel_out_.size());
  }
  tunnel_out_.resize(kBodyBuffer);
  upstream_->socket.async_read_some(
      asio::buffer(tunnel_out_),
      asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, std::size_t n) {
        self->on_tunnel_child_read(ec, n);
      }));
}

void ProxyExchange::on_tunnel_child_read(error_code ec, std::size_t bytes) {
  if (ec || bytes == 0 || response_phase_ != ResponsePhase::Tunnel) return close_tunnel();
  context_->api->stream_write(stream_, tunnel_out_.data(), bytes, &ProxyExchange::on_server_io,
                              server_op(&ProxyExchange::on_tunnel_client_written));
}

void ProxyExchange::on_tunnel_client_written(int status, std::size_t) {
  if (status < 0) return close_tunnel();
  tunnel_child_to_client();
}

// Either side ending ends both: closing one makes the other pump's pending
// read fail, and it stops there.
void ProxyExchange::close_tunnel() {
  if (response_phase_ == ResponsePhase::TunnelClosed) return;
  if (!enter(ResponsePhase::TunnelClosed)) return;
  close_upstream();
  if (stream_) context_->api->stream_close(std::exchange(stream_, nullptr));
}

}  // namespace ancm::outofproc
