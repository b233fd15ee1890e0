// The server's side of the opaque ancm_stream handle (handler_abi.h): what a
// request became after upgrade(). Under HTTP/1.1 it is the Connection's
// socket after the 101 (connection_upgrade.cpp); under HTTP/2 it is one
// stream's DATA frames after the 200 to an extended CONNECT (RFC 8441,
// http2_stream_tunnel.cpp). The handle holds its owner alive until
// stream_close, so a handler may close it after its request ended.
//
// Threads: every call may come from any thread and runs on the owner's
// strand; callbacks run on that strand.
#pragma once

#include <cstddef>
#include <memory>

#include "ancm/handler_abi.h"

namespace ancm::server {

class UpgradedStream {
 public:
  // bytes == 0 with status 0 at the peer's end of stream.
  virtual void stream_read(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) = 0;
  virtual void stream_write(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) = 0;
  virtual void stream_close() = 0;

 protected:
  ~UpgradedStream() = default;  // owned by its connection or session, never deleted through this
};

}  // namespace ancm::server

struct ancm_stream {
  std::shared_ptr<ancm::server::UpgradedStream> owner;  // kept until stream_close
};
