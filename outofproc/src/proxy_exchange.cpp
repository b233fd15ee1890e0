#include "proxy_exchange.h"

#include <array>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "ancm/abi_strings.h"
#include "ancm/common/checked_move.h"
#include "ancm/common/chunked_framing.h"
#include "ancm/connection_executor.h"
#include "h2_proxy_exchange.h"

namespace ancm::outofproc {
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// What the child's response head is first read into.
constexpr std::size_t kHeadRoom = 1024;
// Body pieces start small (UpstreamConnection::kIdleBuffer) and double, up
// to the limit, while they come full and the application's relay budget pays
// for them (relay_budget.h): most bodies are small, and many connections must
// not hold 64 KiB each.
// A parsed response piece fills two buffers (the parser's input and the body
// piece); a request piece one (it goes to the child as it was read). A
// Content-Length response body goes through a RelayPiece instead.
constexpr std::size_t kParsedPieceBuffers = 2;
constexpr std::size_t kRequestPieceBuffers = 1;
// The largest last piece of a response handed to the server to copy.
constexpr std::size_t kCopiedLastPiece = RelayBudget::kFreePiece;
constexpr std::string_view kCrlf = "\r\n";

using abi::str;

ProxyExchange::Strand exchange_strand(const ProxyContext& context, ancm_request* request) {
  if (const auto* executor = abi::connection_executor(*context.api, request)) return *executor;
  return ProxyExchange::Strand::with_strand(context.own_threads->io().get_executor());
}

// What the server's per-connection slot holds for this handler: the client
// connection's claim on the pool. The server releases it when the client
// connection closes; the idle upstream connections kept for it then go to the
// pool's shared list (ConnectionPool::Client::close), for new client connections.
struct ClientSlot {
  explicit ClientSlot(std::shared_ptr<ConnectionPool::Client> claim) : client(std::move(claim)) {}
  ~ClientSlot() { client->close(); }
  ClientSlot(const ClientSlot&) = delete;
  ClientSlot& operator=(const ClientSlot&) = delete;
  std::shared_ptr<ConnectionPool::Client> client;
};

void release_client_slot(void* data) {
  std::unique_ptr<ClientSlot>(static_cast<ClientSlot*>(data));
}

// The client connection's claim on this application's pool, made on its first
// request; null when the server keeps no per-connection data (then no
// connection is reused, never one across clients).
std::shared_ptr<ConnectionPool::Client> pool_client(const ProxyContext& context,
                                                    ancm_request* request) {
  const ancm_request_api& api = *context.api;
  if (!ANCM_ABI_HAS(ancm_request_api, &api, set_connection_data) || !api.connection_data ||
      !api.set_connection_data) {
    return nullptr;
  }
  // Valid until the request ends (the server releases it only between requests).
  auto* held = static_cast<ClientSlot*>(api.connection_data(request, &release_client_slot));
  if (held && context.pool->owns(*held->client)) return held->client;
  // None yet, or another application's (a configuration change): replaced.
  auto slot = std::make_unique<ClientSlot>(context.pool->new_client());
  auto client = slot->client;
  if (api.set_connection_data(request, slot.get(), &release_client_slot) != 0) return nullptr;
  slot.release();  // the server's now
  return client;
}

}  // namespace

ProxyExchange::ProxyExchange(std::shared_ptr<const ProxyContext> context, ancm_request* request)
    : context_(std::move(context)),
      request_(request),
      strand_(exchange_strand(*context_, request)),
      timer_(strand_),
      relay_grant_(context_->relay_budget),
      direct_piece_(context_->relay_budget) {
  context_->active_exchanges++;
}

// Whatever happens, the server's request is ended exactly once.
ProxyExchange::~ProxyExchange() {
  if (owns_request()) abort_request();
  // Before the count: an ended exchange holds no budget.
  relay_grant_.reset();
  direct_piece_.release();
  context_->active_exchanges--;
}

void* ProxyExchange::server_op(ServerStep step) {
  return std::make_unique<ServerOp>(ServerOp{shared_from_this(), step}).release();
}

void ProxyExchange::on_server_io(void* ctx, int status, std::size_t bytes) {
  std::unique_ptr<ServerOp> op(static_cast<ServerOp*>(ctx));
  auto exchange = std::move(op->exchange);
  auto step = op->step;
  asio::post(exchange->strand_,
             [exchange, step, status, bytes] { ((*exchange).*step)(status, bytes); });
}

void ProxyExchange::on_disconnect(void* ctx, int client_gone) {
  auto exchange = std::move(static_cast<ProxyExchange*>(ctx)->held_for_disconnect_);
  if (!client_gone) return;
  asio::post(exchange->strand_, [exchange] {
    if (exchange->h2_) return exchange->h2_->client_gone();
    exchange->client_facts_.gone = true;
    exchange->close_upstream();
    exchange->abort_response("the client went away");
  });
}

void ProxyExchange::start() {
  client_ = pool_client(*context_, request_);
  leave_body_rate_to_the_app();
  // The exchange holds itself until the server calls back, which it always
  // does, exactly once (no allocation for it, as an op would cost).
  held_for_disconnect_ = shared_from_this();
  context_->api->on_disconnect(request_, &ProxyExchange::on_disconnect, this);
  acquire_process();
}

// The app's Kestrel bounds how slowly a body may come, and knows which
// requests stream at the client's pace (gRPC turns the minimum off for its
// client streams): the front end's own minimum would cut those short, for
// the body comes through the proxy as fast as the client sends it.
void ProxyExchange::leave_body_rate_to_the_app() {
  const auto& api = *context_->api;
  if (ANCM_ABI_HAS(ancm_request_api, &api, set_min_body_rate) && api.set_min_body_rate) {
    api.set_min_body_rate(request_, 0, 0);
  }
}

// A running child comes back at once, on the strand: going on right there
// saves a turn of the event loop per request. A child that had to start calls
// back from the manager's thread, and that is posted.
void ProxyExchange::acquire_process() {
  context_->processes->acquire([self = shared_from_this()](ProcessManager::Acquired acquired) {
    asio::dispatch(self->strand_, [self, acquired = std::move(acquired)]() mutable {
      self->on_process(std::move(acquired));
    });
  });
}

// ------------------------------------------------------------------ connect

void ProxyExchange::on_process(ProcessManager::Acquired acquired) {
  if (!owns_request()) return;
  if (!acquired.ok()) return fail_request(acquired.error());
  child_ = std::move(acquired).value();
  auto client = read_client_request(*context_->api, request_);
  // An HTTP/2 WebSocket goes to such a child as an extended CONNECT.
  if (child_->protocol() == ChildProtocol::H2c) return hand_to_h2();
  forwarded_ = build_forwarded_request(client, child_->token());
  arm_timeout();
  connect();
}

// The child speaks only HTTP/2: its own exchange takes the request, on this
// strand; this one stays to pass on the client's disconnect (on_disconnect).
void ProxyExchange::hand_to_h2() {
  if (!enter(RequestOwnership::HandedOver)) return;
  h2_ = std::make_shared<H2ProxyExchange>(context_, request_, strand_, child_);
  h2_->start();
}

// A first attempt, or a retry (its request phase is Connecting again).
void ProxyExchange::connect() {
  ++attempt_.number;
  attempt_.reused = false;
  if (!attempt_.retried && client_) {
    if (auto pooled = client_->take(child_->port())) {
      upstream_ = std::move(pooled);
      attempt_.reused = true;
      return send_head();
    }
  }
  upstream_ = std::make_unique<UpstreamConnection>(strand_.get_inner_executor());
  asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), child_->port());
  upstream_->socket.async_connect(
      endpoint, asio::bind_executor(
                    strand_, [self = shared_from_this(), attempt = attempt_.number](error_code ec) {
                      if (attempt == self->attempt_.number) self->on_connected(ec);
                    }));
}

void ProxyExchange::on_connected(error_code ec) {
  if (!owns_request()) return close_upstream();
  if (ec) {
    // The child may have just died: let the manager look, and try once more.
    context_->processes->report_unreachable(child_);
    context_->pool->forget(child_->port());
    if (!attempt_.retried) {
      attempt_.retried = true;
      return acquire_process();
    }
    return upstream_failed("connect to", ec);
  }
  upstream_->socket.set_option(asio::ip::tcp::no_delay(true));
  common::enable_queue_hint(upstream_->socket);
  send_head();
}

void ProxyExchange::send_head() {
  if (!enter(forwarded_.has_body ? RequestPhase::Head : RequestPhase::Finishing)) return;
  new_response_parser();
  upstream_->input.clear();
  // Room for a usual head and a short body with it: Beast reads at most the
  // buffer's spare capacity (at least 512 bytes), and grows it for a longer
  // head; a body read to be parsed grows it itself (read_response_body), and
  // a Content-Length body is read past it (proxy_direct_body.cpp). It waits
  // here from the request's start (an upload's answer may come at any time),
  // so 256 uploads at once hold 256 of it.
  upstream_->input.reserve(kHeadRoom);
  asio::async_write(
      upstream_->socket, asio::buffer(forwarded_.head),
      asio::bind_executor(strand_, [self = shared_from_this(), attempt = attempt_.number](
                                       error_code ec, std::size_t) {
        if (attempt == self->attempt_.number) self->on_head_sent(ec);
      }));
  read_response_head();
}

void ProxyExchange::on_head_sent(error_code ec) {
  if (request_phase_ == RequestPhase::Finishing) return on_last_bytes_sent(ec);
  if (!owns_request()) return;
  if (ec) return upstream_failed("send the request to", ec);
  if (!enter(RequestPhase::Body)) return;
  request_body_piped_ = open_request_pipe();
  read_client_body();
}

// The request's last bytes are with the child, or their write failed. A
// response that ended first closed the connection (end_response), which
// ended this write too: nothing is left to do then.
void ProxyExchange::on_last_bytes_sent(error_code ec) {
  if (response_phase_ == ResponsePhase::Done) return;
  if (ec) return upstream_failed("send the request to", ec);
  (void)enter(RequestPhase::Sent);  // an illegal move is logged and answered in enter()
}

// ------------------------------------------------------------------ request body

void ProxyExchange::read_client_body() {
  if (request_body_piped_) return read_client_body_into_pipe();
  if (!may_use_request("read_body")) return;
  char* piece = upstream_->request_body.reserve(request_piece_);
  context_->api->read_body(request_, piece, request_piece_, &ProxyExchange::on_server_io,
                           server_op(&ProxyExchange::on_client_body));
}

void ProxyExchange::on_client_body(int status, std::size_t bytes) {
  // The response ended first: the rest of the body is not needed, and the
  // connection it was going to is not reused (end_response).
  if (!owns_request()) return;
  if (status < 0) return client_body_failed(status);
  // The child frames the body by the Content-Length it was sent: a byte more
  // would be read as the next request, a byte less leaves it waiting.
  if (body_overruns(bytes)) return request_broken("the request body is longer than announced");
  if (bytes == 0 && forwarded_.content_length && body_bytes_read_ != *forwarded_.content_length) {
    return request_broken("the request body is shorter than announced");
  }
  body_bytes_read_ += bytes;
  // A body framed by its length ends with its last byte, not with the
  // server's later end-of-body: the child may answer before that arrives,
  // and the connection is reusable only once the request counts as sent.
  bool last = bytes == 0 || (forwarded_.content_length && bytes > 0 &&
                             body_bytes_read_ == *forwarded_.content_length);
  // The piece goes to the child from where the server read it (the next
  // read waits for this write): only a chunk's framing is written apart.
  upstream_out_.clear();
  std::array<asio::const_buffer, 3> out;  // unused parts stay empty
  bool nothing_to_send = true;
  if (bytes > 0) {
    asio::const_buffer piece(upstream_->request_body.bytes.get(), bytes);
    if (forwarded_.chunked_body) {
      common::append_chunk_header(bytes, upstream_out_);
      out = {asio::buffer(upstream_out_), piece, asio::buffer(kCrlf)};
    } else {
      out[0] = piece;
    }
    nothing_to_send = false;
    request_piece_ =
        next_relay_piece(request_piece_, bytes, kBodyBuffer, kRequestPieceBuffers, relay_grant_);
  } else if (forwarded_.chunked_body) {
    append_last_chunk_with_trailers();
    out[0] = asio::buffer(upstream_out_);
    nothing_to_send = false;
  }
  if (last && !enter(RequestPhase::Finishing)) return;
  // The end of a body framed by its length: nothing more to send.
  if (nothing_to_send) return on_last_bytes_sent({});
  // An empty body's last chunk may still be on its way when its kept
  // connection fails and the request goes again: that write is then ignored.
  asio::async_write(
      upstream_->socket, out,
      asio::bind_executor(strand_, [self = shared_from_this(), last, attempt = attempt_.number](
                                       error_code ec, std::size_t) {
        if (attempt != self->attempt_.number) return;
        if (last) return self->on_last_bytes_sent(ec);
        if (!self->owns_request()) return;
        if (ec) return self->upstream_failed("send the request body to", ec);
        self->read_client_body();
      }));
}

// The client's trailer fields go on to the child after the last chunk, as
// Kestrel direct would have read them; the server knows them once a read
// reported the end of the body, which is now.
void ProxyExchange::append_last_chunk_with_trailers() {
  const ancm_request_api& api = *context_->api;
  std::vector<std::pair<std::string_view, std::string_view>> trailers;
  if (ANCM_ABI_HAS(ancm_request_api, &api, request_trailers) && api.request_trailers) {
    std::size_t count = 0;
    const ancm_kv* fields = api.request_trailers(request_, &count);
    for (std::size_t i = 0; i < count; ++i) {
      trailers.emplace_back(std::string_view(fields[i].name.data, fields[i].name.len),
                            std::string_view(fields[i].value.data, fields[i].value.len));
    }
  }
  common::append_last_chunk(trailers, upstream_out_);
}

bool ProxyExchange::body_overruns(std::size_t bytes) const {
  return forwarded_.content_length && bytes > *forwarded_.content_length - body_bytes_read_;
}

// -EBADMSG (the body broke its framing) and -EMSGSIZE (past the size limit)
// mean the server refused the body: while none of the child's response went
// out, the server answers 400/413 itself, and nothing is cut short. The child
// loses its connection mid-body either way, so the app sees the request
// aborted, as a Kestrel app sees its body read fail.
void ProxyExchange::client_body_failed(int status) {
  std::string why = "the request body could not be read: " + std::string(strerrordesc_np(-status));
  bool refused = status == -EBADMSG || status == -EMSGSIZE;
  bool answered_by_server = refused && response_phase_ == ResponsePhase::Head;
  request_broken(why, answered_by_server ? kRequestBodyRefused : kResponseCutShort);
}

void ProxyExchange::request_broken(const std::string& why, std::string_view logged_as) {
  if (!enter(RequestPhase::Broken)) return;
  close_upstream();
  abort_response(why, logged_as);
}

// ------------------------------------------------------------------ response

// An interim response's parser goes, and its fields with it: a child that
// sends one 1xx after another does not make the head's arena grow.
void ProxyExchange::new_response_parser() {
  parser_.reset();
  head_arena_.release();
  parser_.emplace(std::piecewise_construct, std::make_tuple(),
                  std::make_tuple(HeadAllocator(&head_arena_)));
  direct_body_left_.reset();
  parser_->body_limit(boost::none);
  parser_->skip(forwarded_.is_head);
}

void ProxyExchange::read_response_head() {
  http::async_read_header(
      upstream_->socket, upstream_->input, *parser_,
      asio::bind_executor(strand_, [self = shared_from_this(), attempt = attempt_.number](
                                       error_code ec, std::size_t) {
        if (attempt == self->attempt_.number) self->on_response_head(ec);
      }));
}

void ProxyExchange::on_response_head(error_code ec) {
  if (!owns_request()) return;
  if (ec) {
    if (may_retry_on_fresh_connection()) return retry_on_fresh_connection();
    return upstream_failed("read the response from", ec);
  }
  int status = static_cast<int>(parser_->get().result_int());
  if (status == 101) return accept_upgrade();
  if (status >= 100 && status < 200) {
    // An interim response: the final one follows. 100 is routine; after
    // another (102, 103) the connection is not kept, few servers send them.
    if (status != 100) response_facts_.odd_interim = true;
    new_response_parser();
    return read_response_head();
  }
  const auto& head = parser_->get();
  response_facts_.head_fields = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
  if (!relay_response_head() || !enter(ResponsePhase::Body)) return;
  if (parser_->is_done()) return end_response();
  // The head goes to the client now unless body bytes came with it (they go
  // together): an app that flushed its head before any body (server-sent
  // events, an echo that answers while it reads) must not wait for one.
  if (upstream_->input.size() == 0) flush_to_client();
  // A Content-Length body needs no parsing: it is read straight into the
  // piece that goes to the client (the parser would copy each piece once
  // more, the largest cost of relaying a large body after the kernel's).
  if (!parser_->chunked() && parser_->content_length()) return start_direct_body();
  // A body that came whole with its head (a short chunked answer) needs no
  // more room than the bytes buffered: pooled connections stay small.
  std::size_t buffered = upstream_->input.size();
  read_response_body(buffered > 0 ? std::min(response_piece_, buffered) : response_piece_);
}

void ProxyExchange::flush_to_client() {
  if (may_use_request("flush")) context_->api->flush(request_, nullptr, nullptr);
}

// A pooled connection the child closed meanwhile fails at once: the request
// goes again, once, on a fresh connection, if none of it is lost by that (no
// body byte taken from the client, no body read outstanding, nothing heard).
bool ProxyExchange::may_retry_on_fresh_connection() const {
  return attempt_.reused && !attempt_.retried && request_phase_ != RequestPhase::Body &&
         body_bytes_read_ == 0 && upstream_->input.size() == 0;
}

void ProxyExchange::retry_on_fresh_connection() {
  attempt_.retried = true;
  close_upstream();
  if (!enter(RequestPhase::Connecting)) return;
  connect();
}

bool ProxyExchange::relay_response_head() {
  if (!may_use_request("set_status")) return false;
  const auto& response = parser_->get();
  int status = static_cast<int>(response.result_int());
  // The child's reason phrase as it is, even empty: the app chose it. Beast
  // reports an empty one as its own default ("<unknown-status>" for 999), so
  // that default means empty, and the front end adds the standard phrase.
  auto reason = response.reason();
  if (reason == http::obsolete_reason(response.result())) reason = {};
  context_->api->set_status(request_, status, str(reason));
  for (const auto& field : response) {
    auto name = field.name_string();
    if (!forward_response_header(name, status, context_->forward_connection_header)) {
      continue;
    }
    auto value = field.value();
    context_->api->add_header(request_, str(name), str(value));
  }
  // The app ending the connection (Connection: close) ends the client's as
  // well, as Kestrel and in-process do; the server closes after the response.
  if (status != 101 && !parser_->keep_alive()) {
    context_->api->add_header(request_, str("Connection"), str("close"));
  }
  return true;
}

void ProxyExchange::read_response_body(std::size_t piece) {
  arm_timeout();
  upstream_->input.reserve(response_piece_);
  parsed_piece_ = piece;
  auto& body = parser_->get().body();
  body.data = upstream_->response_body.reserve(parsed_piece_);
  body.size = parsed_piece_;
  http::async_read_some(
      upstream_->socket, upstream_->input, *parser_,
      asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, std::size_t) {
        self->on_response_body(ec);
      }));
}

void ProxyExchange::on_response_body(error_code ec) {
  if (!owns_request()) return;
  if (ec == http::error::need_buffer) ec = {};
  if (!ec) ec = parse_buffered_body();
  if (ec) return upstream_failed("read the response body from", ec);
  std::size_t got = parsed_piece_ - parser_->get().body().size;
  const char* piece = upstream_->response_body.bytes.get();
  response_piece_ =
      next_relay_piece(response_piece_, got, kBodyBuffer, kParsedPieceBuffers, relay_grant_);
  if (got == 0) {
    if (parser_->is_done()) return end_response();
    // Nothing to send with the head after all (a chunk's size line alone);
    // once the head is out this flush has nothing to do.
    flush_to_client();
    return read_response_body(response_piece_);
  }
  write_to_client(piece, got);
}

bool ProxyExchange::response_body_done() const {
  return direct_body_left_ ? *direct_body_left_ == 0 : parser_->is_done();
}

void ProxyExchange::write_to_client(const char* piece, std::size_t size) {
  if (!may_use_request("write_body")) return;
  if (response_body_done() && size <= kCopiedLastPiece) {
    // A small last piece: nothing more to pace, so end the response right
    // away (a small response then costs one hop to the server, not two). A
    // large one is lent like the others: a copy would hold it twice.
    context_->api->write_body(request_, piece, size, nullptr, nullptr);
    direct_piece_.release();  // a direct body's piece, if any: write_body copied it
    return end_response();
  }
  // Backpressure: the next read waits until the client took these bytes,
  // so the piece stays as it is until then and the server need not copy it.
  auto write = context_->api->write_body_borrowed ? context_->api->write_body_borrowed
                                                  : context_->api->write_body;
  write(request_, piece, size, &ProxyExchange::on_server_io,
        server_op(&ProxyExchange::on_client_written));
}

// A read hands over one piece of the body; what else already arrived is
// parsed now, without I/O. So a small chunked response (its chunk, then the
// last chunk) ends in one step and reaches the client as one write with a
// Content-Length. (Beast's eager mode would instead wait for the next chunk.)
ProxyExchange::error_code ProxyExchange::parse_buffered_body() {
  const auto& body = parser_->get().body();
  while (!parser_->is_done() && upstream_->input.size() > 0 && body.size > 0) {
    error_code ec;
    std::size_t used = parser_->put(upstream_->input.data(), ec);
    upstream_->input.consume(used);
    if (ec == http::error::need_more || ec == http::error::need_buffer) return {};
    if (ec) return ec;
    if (used == 0) return {};
  }
  return {};
}

void ProxyExchange::on_client_written(int status, std::size_t) {
  direct_piece_.release();
  // A pipe piece that failed may have left bytes in the pipe (only now,
  // with the server done with it, may the pipe be closed).
  if (status < 0 && body_spliced_ && upstream_) upstream_->body_pipe.discard();
  if (!owns_request()) return;
  if (status < 0) {
    close_upstream();
    return abort_response("the client stopped reading");
  }
  if (response_body_done()) return end_response();
  if (direct_body_left_) return read_direct_body();
  read_response_body(response_piece_);
}

// The response was read to its end: the connection goes back to the pool or
// is closed, and then the request ends (so the client's next request, which
// may come at once, finds the connection). A request whose last bytes are
// still being written was answered before the child took all of it (a write
// that ended first is on the strand before the response): that child may
// never take the rest, so the connection is closed, which also ends the write.
//
// The child's response trailer fields go to the client before complete().
void ProxyExchange::end_response() {
  if (!enter(ResponsePhase::Done)) return;
  stop_timer();
  relay_response_trailers();
  release_upstream();
  complete_request();
}

// Beast parsed them after the last chunk, behind the head's fields. The
// server puts them in its own last chunk (a chunked response), or drops them
// with other framings; one HTTP forbids as a trailer (-EINVAL) is left out,
// as a recipient may drop trailers anyway.
void ProxyExchange::relay_response_trailers() {
  const auto& api = *context_->api;
  if (!ANCM_ABI_HAS(ancm_request_api, &api, add_trailer) || !api.add_trailer) return;
  if (!may_use_request("add_trailer")) return;
  std::size_t index = 0;
  for (const auto& field : parser_->get()) {
    if (index++ < response_facts_.head_fields) continue;
    int status = api.add_trailer(request_, str(field.name_string()), str(field.value()));
    if (status < 0) {
      context_->log(ANCM_LOG_TRACE, "the application's response trailer " +
                                        std::string(field.name_string()) +
                                        " was left out: " + std::to_string(status));
    }
  }
}

// Kept for this client connection's next requests while it is connected;
// once it closes, for new client connections (ConnectionPool::Client::close).
void ProxyExchange::release_upstream() {
  if (client_ && upstream_reusable()) {
    // give_back frees what the body made grow, so the budget has it again.
    client_->give_back(child_->port(), std::move(upstream_));
    relay_grant_.reset();
  } else {
    close_upstream();
  }
}

// The one rule for reusing an upstream connection: the request and the
// response both ended at a boundary the proxy and the child agree on.
// Anything else leaves the child's view of the connection unknown, and the
// next request on it could be read as part of this one (request smuggling):
// a refused upgrade, a request body not all sent (the child answered early,
// the client stopped, an error), a response framed by the connection's end,
// an unusual interim response, bytes after the response.
bool ProxyExchange::upstream_reusable() const {
  return upstream_ && upstream_->socket.is_open() && request_phase_ == RequestPhase::Sent &&
         response_phase_ == ResponsePhase::Done && !forwarded_.is_upgrade &&
         !response_facts_.odd_interim && parser_ && response_body_done() && !parser_->need_eof() &&
         parser_->keep_alive() && upstream_->input.size() == 0 && !bytes_after_direct_body();
}

// A body read straight from the socket stops at its length, so bytes the
// child sent past it are still in the socket rather than in the input.
bool ProxyExchange::bytes_after_direct_body() const {
  if (!direct_body_left_) return false;
  error_code ec;
  std::size_t waiting = upstream_->socket.available(ec);
  return ec || waiting > 0;
}

// ------------------------------------------------------------------ failures

// requestTimeout, from the start of the request, then of each body read.
// A request sent on a kept connection whose previous handler still runs (it
// ended its response with CompleteAsync and went on) waits for it: Kestrel
// reads a connection's next request only once the handler returned
// (dotnet/aspnetcore#37024). A connection is kept only for the client
// connection it served (ConnectionPool), so only that client's own next
// request can wait so, as it would on Kestrel direct.
void ProxyExchange::arm_timeout() {
  if (context_->request_timeout.count() == 0) return;
  unsigned generation = ++timer_generation_;
  timer_.expires_after(context_->request_timeout);
  timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->timer_generation_ || !self->owns_request()) return;
    self->on_request_timeout();
  });
}

void ProxyExchange::on_request_timeout() {
  std::string why = "the application did not respond within requestTimeout (" +
                    std::to_string(context_->request_timeout.count()) + " s)";
  context_->log(ANCM_LOG_WARNING, why);
  close_upstream();
  if (response_phase_ != ResponsePhase::Head) return abort_response(why);
  fail(502, 3, why);
}

std::string ProxyExchange::child_name() const {
  return "the application process " + std::to_string(child_ ? child_->pid() : 0) + " on port " +
         std::to_string(child_ ? child_->port() : 0);
}

void ProxyExchange::upstream_failed(const char* what, error_code ec) {
  if (!owns_request()) return;
  if (child_) context_->processes->report_unreachable(child_);
  upstream_failed(std::string("could not ") + what + " " + child_name() + ": " + ec.message());
}

void ProxyExchange::upstream_failed(const std::string& why) {
  if (!owns_request()) return;
  context_->log(ANCM_LOG_WARNING, why);
  close_upstream();
  if (response_phase_ != ResponsePhase::Head) return abort_response(why);
  fail(502, 3, why);
}

void ProxyExchange::stop_timer() {
  ++timer_generation_;
  timer_.cancel();
}

void ProxyExchange::fail(int status, int substatus, std::string reason) {
  if (!owns_request()) return;
  stop_timer();
  fail_request({{status, substatus}, std::move(reason), {}});
}

void ProxyExchange::abort_response(const std::string& why, std::string_view logged_as) {
  if (!owns_request()) return;
  stop_timer();
  if (!client_facts_.gone) context_->log(ANCM_LOG_INFO, std::string(logged_as) + why);
  abort_request();
}

void ProxyExchange::close_upstream() {
  if (!upstream_) return;
  error_code ignored;
  upstream_->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  upstream_->socket.close(ignored);
}

// ------------------------------------------------------------------ state

void ProxyExchange::complete_request() {
  if (enter(RequestOwnership::Completed)) context_->api->complete(request_);
}

void ProxyExchange::abort_request() {
  if (enter(RequestOwnership::Aborted)) context_->api->abort(request_);
}

void ProxyExchange::fail_request(const common::PageFailure& failure) {
  if (!enter(RequestOwnership::Failed)) return;
  ancm_failure page = common::abi_failure(failure);
  context_->host->fail_request(context_->host->ctx, request_, &page);
}

bool ProxyExchange::may_use_request(std::string_view call) {
  if (owns_request()) return true;
  context_->log(ANCM_LOG_ERROR, "proxy exchange with " + child_name() + ": " + std::string(call) +
                                    " on a request already handed back (" +
                                    std::string(name(ownership_)) + "); not made");
  close_upstream();
  return false;
}

bool ProxyExchange::enter(RequestPhase to) {
  return common::checked_move(request_phase_, to, [&](auto from, auto next) {
    report_illegal("request phase", from, next);
  });
}

bool ProxyExchange::enter(ResponsePhase to) {
  return common::checked_move(response_phase_, to, [&](auto from, auto next) {
    report_illegal("response phase", from, next);
  });
}

bool ProxyExchange::enter(RequestOwnership to) {
  return common::checked_move(ownership_, to, [&](auto from, auto next) {
    report_illegal("request ownership", from, next);
  });
}

void ProxyExchange::report_illegal(std::string_view what, std::string_view from,
                                   std::string_view to) {
  context_->log(ANCM_LOG_ERROR, "proxy exchange with " + child_name() + ": illegal " +
                                    std::string(what) + " transition " + std::string(from) +
                                    " -> " + std::string(to) + " (request phase " +
                                    std::string(name(request_phase_)) + ", response phase " +
                                    std::string(name(response_phase_)) + ", request ownership " +
                                    std::string(name(ownership_)) +
                                    "); the request is aborted and its connections closed");
  answer_illegal();
}

// What a bug leaves is unknown: nothing of this exchange goes on. The upstream
// connection is closed (never kept), a tunnel's stream too, and the request,
// if still ours, is aborted (the client sees the response cut short).
void ProxyExchange::answer_illegal() {
  stop_timer();
  close_upstream();
  if (stream_) context_->api->stream_close(std::exchange(stream_, nullptr));
  if (owns_request()) abort_request();
}

}  // namespace ancm::outofproc
