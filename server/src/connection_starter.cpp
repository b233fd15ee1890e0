#include "connection_starter.h"

#include <memory>
#include <utility>

namespace ancm::server {

void start_connection(boost::asio::io_context& io, boost::asio::ip::tcp::socket accepted,
                      const ConnectionContext& context) {
  auto strand = boost::asio::make_strand(io);
  auto stream = ClientStream::adopt(strand, std::move(accepted));
  auto connection = std::make_shared<Connection>(std::move(strand), std::move(stream), context);
  if (context.registry) context.registry->add(connection);
  connection->start();
}

}  // namespace ancm::server
