#include "connection_starter.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "tls_handshake.h"

namespace ancm::server {
namespace {

// The protocol for a stream ready to carry requests.
void serve(Strand strand, ClientStream stream, const ConnectionContext& context) {
  if (stream.alpn() == kAlpnHttp2) {
    // ALPN offers "h2" only when context.http2 is set: the HTTP/2 server
    // starts here. Until then no client gets this far.
    spdlog::error("a client chose HTTP/2 over TLS, which this worker does not serve");
    return stream.close();
  }
  auto connection = std::make_shared<Connection>(std::move(strand), std::move(stream), context);
  if (context.registry) context.registry->add(connection);
  connection->start();
}

}  // namespace

void start_connection(boost::asio::io_context& io, boost::asio::ip::tcp::socket accepted,
                      const ConnectionContext& context) {
  auto strand = boost::asio::make_strand(io);
  if (!context.tls) return serve(strand, ClientStream::adopt(strand, std::move(accepted)), context);
  // The handshake counts against the time a client has to send its head.
  handshake_then(
      strand, std::move(accepted), *context.tls, context.limits.header_timeout,
      [strand, &context](ClientStream stream) { serve(strand, std::move(stream), context); });
}

}  // namespace ancm::server
