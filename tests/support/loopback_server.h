// The server's real HTTP/1.1 front end (server/src Connection) inside one
// process, for unit tests and the micro-benchmark: a listening socket on
// 127.0.0.1 (a port the kernel picks), and a Connection for each socket it
// accepts, handing each request to the sink the caller supplies. Clients
// connect to port(); HttpConnection (http_client.h) is the raw client.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "ancm/handler_abi.h"
#include "ancm/server/options.h"

namespace ancm::test {

class LoopbackServer {
 public:
  // Runs on a server I/O thread, like the shim's handle_request.
  using Sink = std::function<void(ancm_request*)>;
  enum class Threading {
    OwnThread,  // the io_context runs on a thread of the server's own (tests)
    Caller,     // the caller runs io(): client and server on one thread (benchmark)
  };

  explicit LoopbackServer(Sink sink, server::HttpLimits limits = {},
                          Threading threading = Threading::OwnThread);
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  uint16_t port() const;
  boost::asio::io_context& io();
  // The table the server hands to handlers (server/src/native_request_api.cpp).
  static const ancm_request_api& api();

  // Waits until the server accepted `count` connections in all (bounded, so
  // a broken build fails instead of hanging); false if it did not.
  bool wait_accepted(std::size_t count);
  // What a stopping worker does: every connection finishes its current
  // response and closes.
  void drain_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ancm::test
