// Where an accepted socket becomes a served connection: the one place that
// decides what protocol object serves it (today an HTTP/1.x Connection).
// Used by the worker's listeners and the test harness alike.
#pragma once

#include <boost/asio/io_context.hpp>

#include "connection.h"

namespace ancm::server {

// Serves the accepted socket on a strand of its own; the connection is in
// context.registry (when set) until it is destroyed.
void start_connection(boost::asio::io_context& io, ClientStream::Socket accepted,
                      const ConnectionContext& context);

}  // namespace ancm::server
