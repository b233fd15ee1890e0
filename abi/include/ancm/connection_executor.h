// C++ view of ancm_request_api::connection_executor: the executor a
// connection runs on (a SerialExecutor, serial_executor.h), for a handler that
// wants its own sockets and timers on the connection's thread (the
// out-of-process proxy does). Only offered when handler and server were built
// against the same Boost, since the executor's layout crosses the library
// boundary. A same-build extension of the C ABI: its conditions are stated at
// ancm_request_api::connection_executor.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/version.hpp>

#include "ancm/handler_abi.h"
#include "ancm/serial_executor.h"

namespace ancm::abi {

using ConnectionExecutor = SerialExecutor<boost::asio::io_context::executor_type>;

// The request's executor, or nullptr when the server does not offer one.
inline const ConnectionExecutor* connection_executor(const ancm_request_api& api,
                                                     ancm_request* request) {
  if (!api.connection_executor) return nullptr;
  return static_cast<const ConnectionExecutor*>(api.connection_executor(request, BOOST_VERSION));
}

}  // namespace ancm::abi
