// The executor a connection's work runs on: one strand per client connection.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace ancm::server {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

}  // namespace ancm::server
