// What one native request is to the request table (native_request_api.cpp),
// whatever protocol carried it: an HTTP/1.x Connection serves one request at
// a time, an HTTP/2 session one per stream. The table checks the handle's
// generation (request_handle.h) and then calls through this interface, so a
// handler never knows which protocol it is talking to.
//
// Threads: every call may come from any thread. Getters read what was fixed
// when the request was dispatched; the others run on strand() (set_status,
// add_header and add_trailer on the caller's thread, under the response's
// head lock). Callbacks run on strand().
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ancm/handler_abi.h"
#include "body_data_rate.h"
#include "connection_data.h"
#include "strand.h"

namespace ancm::server {

class ServerRequest {
 public:
  using UpgradeCallback = void (*)(void* ctx, ancm_stream* stream);

  // ---- fixed at dispatch, valid until complete()/abort()/reset() ----
  virtual ancm_str method() const = 0;
  virtual ancm_str target() const = 0;
  virtual ancm_str path() const = 0;
  virtual ancm_str query() const = 0;
  virtual int http_version() const = 0;  // 10, 11 or 20
  virtual const std::vector<ancm_kv>& headers() const = 0;
  // A body's trailers, once a body read reported its end.
  virtual const std::vector<ancm_kv>& trailers() const = 0;
  virtual ancm_str remote_address() const = 0;
  virtual uint16_t remote_port() const = 0;
  virtual ancm_str local_address() const = 0;
  virtual uint16_t local_port() const = 0;
  virtual bool has_body() const = 0;
  // An HTTP/2 extended CONNECT's :protocol (RFC 8441); empty otherwise.
  virtual ancm_str connect_protocol() const = 0;
  virtual bool is_tls() const = 0;
  // 0 and *out filled over TLS, -ENOENT (and *out zeroed) over cleartext.
  virtual int tls_info(ancm_tls_info* out) const = 0;
  virtual const Strand& strand() const = 0;
  // The handler's per-connection slot (it has its own lock).
  virtual ConnectionData& handler_data() = 0;

  // ---- body and response ----
  virtual void read_body(void* buf, std::size_t cap, ancm_io_callback cb, void* ctx) = 0;
  // Body bytes put into the handler's pipe (handler_abi.h). Only a cleartext
  // HTTP/1.x connection with a Content-Length body takes it; others answer
  // -EOPNOTSUPP.
  virtual int read_body_to_pipe(int, std::size_t, ancm_io_callback, void*) { return -EOPNOTSUPP; }
  // The slowest the body may come from the next read on (body_data_rate.h).
  virtual void set_min_body_rate(MinBodyRate rate) = 0;
  virtual int set_status(int status, std::string_view reason) = 0;
  virtual int add_header(std::string_view name, std::string_view value) = 0;
  virtual int add_trailer(std::string_view name, std::string_view value) = 0;
  virtual void write_body(const void* data, std::size_t len, ancm_io_callback cb, void* ctx) = 0;
  virtual void write_body_borrowed(const void* data, std::size_t len, ancm_io_callback cb,
                                   void* ctx) = 0;
  // A piece that waits in a pipe, spliced to the client (handler_abi.h).
  // Only a cleartext HTTP/1.x connection takes one; others answer -EOPNOTSUPP.
  virtual int write_body_from_pipe(int, std::size_t, ancm_io_callback, void*) {
    return -EOPNOTSUPP;
  }
  virtual void flush(ancm_io_callback cb, void* ctx) = 0;
  virtual void complete() = 0;
  virtual void abort() = 0;
  // HTTP/2: RST_STREAM with error_code; HTTP/1.x: abort().
  virtual void reset(uint32_t error_code) = 0;
  virtual void on_disconnect(ancm_disconnect_callback cb, void* ctx) = 0;
  // A raw stream after a 101 (HTTP/1.1) or a 2xx to an extended CONNECT
  // (HTTP/2); cb gets NULL when the request cannot be upgraded.
  virtual void upgrade(UpgradeCallback cb, void* ctx) = 0;

 protected:
  ~ServerRequest() = default;  // owned by its connection or session, never deleted through this
};

}  // namespace ancm::server
