// The executor a connection's work runs on (ancm::abi::SerialExecutor): its
// work one piece at a time, through a strand when the worker's loop has
// several threads, straight on the loop when it has one.
#pragma once

#include <boost/asio/io_context.hpp>

#include "ancm/connection_executor.h"

namespace ancm::server {

using Strand = abi::ConnectionExecutor;

// A new connection's executor on io. one_loop_thread: only one thread runs io
// (the worker's --threads 1), so the loop itself keeps the work apart.
Strand make_connection_executor(boost::asio::io_context& io, bool one_loop_thread);

}  // namespace ancm::server
