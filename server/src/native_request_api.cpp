// The ancm_request_api table: thin C entry points onto the ServerRequest
// (an HTTP/1.x Connection or an HTTP/2 stream) behind the handle. Every
// call first checks that its handle is the current request's (one compare,
// request_handle.h) and refuses a stale one the way handler_abi.h says.
#include <dlfcn.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/version.hpp>
#include <cerrno>

#include "ancm/abi_strings.h"
#include "ancm/server/worker.h"
#include "connection.h"
#include "request_handle.h"
#include "server_request.h"

namespace ancm::server {
namespace {

ServerRequest& conn(ancm_request* request) { return *untagged(request).owner; }

using abi::view;

// A handle of a request that ended: the handler kept it past complete() or
// abort(). Logged once per connection, so a loop of such calls cannot flood.
bool stale(ancm_request* r) {
  if (is_current(r)) return false;  // the hot path: one compare
  if (!untagged(r).stale_call_logged.exchange(true)) {
    auto address = conn(r).remote_address();
    spdlog::warn(
        "a handler used the {} (after complete() or abort()) on the connection from {}:{}; the "
        "call was refused (not logged again for this connection)",
        kStaleRequestHandle, std::string_view(address.data, address.len), conn(r).remote_port());
  }
  return true;
}

// Callbacks run on a server I/O thread, the refusal's too.
void refuse(ancm_request* r, ancm_io_callback cb, void* ctx) {
  if (!cb) return;
  boost::asio::post(conn(r).strand(), [cb, ctx] { cb(ctx, -ESTALE, 0); });
}

ancm_str method(ancm_request* r) { return stale(r) ? ancm_str{} : conn(r).method(); }
ancm_str target(ancm_request* r) { return stale(r) ? ancm_str{} : conn(r).target(); }
ancm_str path(ancm_request* r) { return stale(r) ? ancm_str{} : conn(r).path(); }
ancm_str query(ancm_request* r) { return stale(r) ? ancm_str{} : conn(r).query(); }
int http_version(ancm_request* r) { return stale(r) ? 0 : conn(r).http_version(); }
size_t header_count(ancm_request* r) { return stale(r) ? 0 : conn(r).headers().size(); }
const ancm_kv* headers(ancm_request* r) { return stale(r) ? nullptr : conn(r).headers().data(); }
ancm_str remote_address(ancm_request* r) {
  return stale(r) ? ancm_str{} : conn(r).remote_address();
}
uint16_t remote_port(ancm_request* r) { return stale(r) ? 0 : conn(r).remote_port(); }
ancm_str local_address(ancm_request* r) { return stale(r) ? ancm_str{} : conn(r).local_address(); }
uint16_t local_port(ancm_request* r) { return stale(r) ? 0 : conn(r).local_port(); }
int is_tls(ancm_request* r) { return !stale(r) && conn(r).is_tls() ? 1 : 0; }
int has_body(ancm_request* r) { return !stale(r) && conn(r).has_body() ? 1 : 0; }

void read_body(ancm_request* r, void* buf, size_t cap, ancm_io_callback cb, void* ctx) {
  if (stale(r)) return refuse(r, cb, ctx);
  conn(r).read_body(buf, cap, cb, ctx);
}
int set_status(ancm_request* r, int status, ancm_str reason) {
  if (stale(r)) return -ESTALE;
  return conn(r).set_status(status, view(reason));
}
int add_header(ancm_request* r, ancm_str name, ancm_str value) {
  if (stale(r)) return -ESTALE;
  return conn(r).add_header(view(name), view(value));
}
void write_body(ancm_request* r, const void* data, size_t len, ancm_io_callback cb, void* ctx) {
  if (stale(r)) return refuse(r, cb, ctx);
  conn(r).write_body(data, len, cb, ctx);
}
void write_body_borrowed(ancm_request* r, const void* data, size_t len, ancm_io_callback cb,
                         void* ctx) {
  if (stale(r)) return refuse(r, cb, ctx);
  conn(r).write_body_borrowed(data, len, cb, ctx);
}
void flush(ancm_request* r, ancm_io_callback cb, void* ctx) {
  if (stale(r)) return refuse(r, cb, ctx);
  conn(r).flush(cb, ctx);
}
// Ending the request makes its handle stale before the connection can reach
// its next request, so nothing after this call can act on that one.
void complete(ancm_request* r) {
  if (stale(r)) return;
  end_handle(r);
  conn(r).complete();
}
void abort(ancm_request* r) {
  if (stale(r)) return;
  end_handle(r);
  conn(r).abort();
}
void on_disconnect(ancm_request* r, ancm_disconnect_callback cb, void* ctx) {
  if (stale(r)) {
    boost::asio::post(conn(r).strand(), [cb, ctx] { cb(ctx, 0); });
    return;
  }
  conn(r).on_disconnect(cb, ctx);
}

void upgrade(ancm_request* r, void (*cb)(void*, ancm_stream*), void* ctx) {
  if (stale(r)) {
    boost::asio::post(conn(r).strand(), [cb, ctx] { cb(ctx, nullptr); });
    return;
  }
  conn(r).upgrade(cb, ctx);
}
void stream_read(ancm_stream* s, void* buf, size_t cap, ancm_io_callback cb, void* ctx) {
  s->owner->stream_read(buf, cap, cb, ctx);
}
void stream_write(ancm_stream* s, const void* data, size_t len, ancm_io_callback cb, void* ctx) {
  s->owner->stream_write(data, len, cb, ctx);
}
void stream_close(ancm_stream* s) {
  std::unique_ptr<ancm_stream> owned(s);
  owned->owner->stream_close();
}

void request_info(ancm_request* r, ancm_request_info* out) {
  if (stale(r)) {
    *out = {};
    return;
  }
  const ServerRequest& c = conn(r);
  out->method = c.method();
  out->target = c.target();
  out->path = c.path();
  out->query = c.query();
  out->headers = c.headers().data();
  out->header_count = c.headers().size();
  out->remote_address = c.remote_address();
  out->local_address = c.local_address();
  out->remote_port = c.remote_port();
  out->local_port = c.local_port();
  out->http_version = c.http_version();
  out->has_body = c.has_body() ? 1 : 0;
  out->is_tls = c.is_tls() ? 1 : 0;
}

// A handler's Asio code on our threads must share Asio's per-thread state
// with ours, and the marks of SerialExecutor's work: the executable exports
// both (tools/ancm-host/asio_shared_state.dynlist). A program that links the
// server without that gets no executors to hand out.
bool asio_thread_state_exported() {
  static const bool exported =
      ::dlsym(RTLD_DEFAULT,
              "_ZN5boost4asio6detail15keyword_tss_ptrINS1_10call_stackINS1_14thread_"
              "contextENS1_16thread_info_baseEE7contextEE6value_E") != nullptr &&
      ::dlsym(RTLD_DEFAULT,
              "_ZN5boost4asio6detail15keyword_tss_ptrINS1_10call_stackIN4ancm3abi11SerialState"
              "EhE7contextEE6value_E") != nullptr;
  return exported;
}

// Handing out the strand is only safe to a handler built with the same Boost.
const void* connection_executor(ancm_request* r, uint32_t boost_version) {
  if (stale(r) || boost_version != BOOST_VERSION || !asio_thread_state_exported()) return nullptr;
  return &conn(r).strand();
}

const ancm_kv* request_trailers(ancm_request* r, size_t* count) {
  if (stale(r)) {
    *count = 0;
    return nullptr;
  }
  const auto& trailers = conn(r).trailers();
  *count = trailers.size();
  return trailers.data();
}

void* connection_data(ancm_request* r, void (*release)(void*)) {
  return stale(r) ? nullptr : conn(r).handler_data().get(release);
}
int set_connection_data(ancm_request* r, void* data, void (*release)(void*)) {
  if (stale(r)) return -ESTALE;
  return conn(r).handler_data().set(data, release);
}

int add_trailer(ancm_request* r, ancm_str name, ancm_str value) {
  if (stale(r)) return -ESTALE;
  return conn(r).add_trailer(view(name), view(value));
}
// Like complete() and abort(): the handle goes stale first.
void reset(ancm_request* r, uint32_t error_code) {
  if (stale(r)) return;
  end_handle(r);
  conn(r).reset(error_code);
}
int tls_info(ancm_request* r, ancm_tls_info* out) {
  if (stale(r)) {
    *out = {};
    return -ESTALE;
  }
  return conn(r).tls_info(out);
}

ancm_str connect_protocol(ancm_request* r) {
  return stale(r) ? ancm_str{} : conn(r).connect_protocol();
}

int write_body_from_pipe(ancm_request* r, int pipe_fd, size_t len, ancm_io_callback cb, void* ctx) {
  return stale(r) ? -ESTALE : conn(r).write_body_from_pipe(pipe_fd, len, cb, ctx);
}

int read_body_to_pipe(ancm_request* r, int pipe_fd, size_t max, ancm_io_callback cb, void* ctx) {
  return stale(r) ? -ESTALE : conn(r).read_body_to_pipe(pipe_fd, max, cb, ctx);
}

int set_min_body_rate(ancm_request* r, uint32_t bytes_per_second, uint32_t grace_ms) {
  if (stale(r)) return -ESTALE;
  if (bytes_per_second > 0 && grace_ms < 1000) return -EINVAL;
  conn(r).set_min_body_rate({bytes_per_second, std::chrono::milliseconds(grace_ms)});
  return 0;
}

constexpr ancm_request_api kApi = {
    ANCM_HANDLER_ABI_VERSION,
    sizeof(ancm_request_api),
    method,
    target,
    path,
    query,
    http_version,
    header_count,
    headers,
    remote_address,
    remote_port,
    local_address,
    local_port,
    is_tls,
    has_body,
    read_body,
    set_status,
    add_header,
    write_body,
    flush,
    complete,
    abort,
    on_disconnect,
    upgrade,
    stream_read,
    stream_write,
    stream_close,
    request_info,
    connection_executor,
    write_body_borrowed,
    request_trailers,
    connection_data,
    set_connection_data,
    add_trailer,
    reset,
    tls_info,
    connect_protocol,
    write_body_from_pipe,
    set_min_body_rate,
    read_body_to_pipe,
};

}  // namespace

const ancm_request_api* native_request_api() { return &kApi; }

}  // namespace ancm::server
