#include "h2_proxy_exchange.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "ancm/abi_strings.h"
#include "ancm/common/ascii.h"
#include "ancm/common/checked_move.h"
#include "h2_request_head.h"
#include "h2_upstreams.h"

namespace ancm::outofproc {
namespace asio = boost::asio;
using abi::str;

H2ProxyExchange::H2ProxyExchange(std::shared_ptr<const ProxyContext> context, ancm_request* request,
                                 Strand strand, std::shared_ptr<ChildProcess> child)
    : context_(std::move(context)),
      request_(request),
      strand_(std::move(strand)),
      timer_(strand_),
      child_(std::move(child)) {
  context_->active_exchanges++;
}

// Whatever happens, the server's request is ended exactly once.
H2ProxyExchange::~H2ProxyExchange() {
  if (owns_request()) abort_request();
  if (client_stream_) context_->api->stream_close(client_stream_);
  context_->active_exchanges--;
}

void* H2ProxyExchange::server_op(ServerStep step) {
  return std::make_unique<ServerOp>(ServerOp{shared_from_this(), step}).release();
}

void H2ProxyExchange::on_server_io(void* ctx, int status, std::size_t bytes) {
  std::unique_ptr<ServerOp> op(static_cast<ServerOp*>(ctx));
  auto exchange = std::move(op->exchange);
  auto step = op->step;
  asio::post(exchange->strand_,
             [exchange, step, status, bytes] { ((*exchange).*step)(status, bytes); });
}

template <typename Step>
void H2ProxyExchange::on_strand(Step step) {
  asio::post(strand_,
             [self = shared_from_this(), step = std::move(step)]() mutable { step(*self); });
}

void H2ProxyExchange::start() {
  ClientRequest client = read_client_request(*context_->api, request_);
  // The HTTP/1.1 path's reading of the body's length, so both agree on it.
  ForwardedRequest framing = build_forwarded_request(client, child_->token());
  head_ = build_h2_request(client, child_->token(), framing.content_length);
  arm_timeout();
  open_stream();
}

void H2ProxyExchange::client_gone() {
  client_facts_.gone = true;
  cancel_stream();
  abort_response("the client went away");
  close_tunnel();
}

// ------------------------------------------------------------------ request

void H2ProxyExchange::open_stream() {
  if (!enter(head_.has_body ? RequestPhase::Head : RequestPhase::Finishing)) return;
  session_ = context_->h2->session_for(*child_, strand_.get_inner_executor());
  stream_ = session_->open_stream(head_, shared_from_this());
  // The stream is open: the body follows at once (nghttp2 holds it until the
  // HEADERS frame went out). A tunnel's bytes wait for the child's 2xx.
  if (!head_.has_body || !enter(RequestPhase::Body)) return;
  if (!head_.extended_connect) read_client_body();
}

void H2ProxyExchange::read_client_body() {
  if (!owns_request()) return;
  char* piece = body_piece_.reserve(kBodyPiece);
  context_->api->read_body(request_, piece, kBodyPiece, &H2ProxyExchange::on_server_io,
                           server_op(&H2ProxyExchange::on_client_body));
}

void H2ProxyExchange::on_client_body(int status, std::size_t bytes) {
  if (!owns_request()) return;
  if (status < 0) return client_body_failed(status);
  if (bytes == 0) return send_last_piece();
  body_bytes_read_ += bytes;
  session_->send_body(*stream_, std::string(body_piece_.bytes.get(), bytes), false);
}

// The body's end, with the client's trailer fields (known now that a read
// reported the end) as the stream's trailing HEADERS frame.
void H2ProxyExchange::send_last_piece() {
  if (!enter(RequestPhase::Finishing)) return;
  const ancm_request_api& api = *context_->api;
  H2Fields trailers;
  if (ANCM_ABI_HAS(ancm_request_api, &api, request_trailers) && api.request_trailers) {
    std::size_t count = 0;
    const ancm_kv* fields = api.request_trailers(request_, &count);
    for (std::size_t i = 0; i < count; ++i) {
      trailers.emplace_back(common::ascii_lowered(abi::view(fields[i].name)),
                            abi::to_string(fields[i].value));
    }
  }
  session_->send_body(*stream_, {}, true, std::move(trailers));
}

// As on the HTTP/1.1 path: a body the server refused (400/413) before any of
// the response went out is the server's to answer; the child's stream is
// cancelled so the app sees its body read fail.
void H2ProxyExchange::client_body_failed(int status) {
  std::string why = "the request body could not be read: " + std::string(strerrordesc_np(-status));
  bool refused = status == -EBADMSG || status == -EMSGSIZE;
  bool answered_by_server = refused && response_phase_ == ResponsePhase::Head;
  if (!enter(RequestPhase::Broken)) return;
  cancel_stream();
  abort_response(why, answered_by_server ? kRequestBodyRefused : kResponseCutShort);
}

// ------------------------------------------------------------------ session events

void H2ProxyExchange::on_response_head(int status, H2Fields headers) {
  on_strand([status, headers = std::move(headers)](H2ProxyExchange& self) {
    self.relay_head(status, headers);
  });
}

void H2ProxyExchange::on_response_data(std::string piece) {
  on_strand([piece = std::move(piece)](H2ProxyExchange& self) { self.relay_data(piece); });
}

void H2ProxyExchange::on_response_end(H2Fields trailers) {
  on_strand(
      [trailers = std::move(trailers)](H2ProxyExchange& self) { self.end_response(trailers); });
}

void H2ProxyExchange::on_body_taken() {
  on_strand([](H2ProxyExchange& self) {
    if (self.request_phase_ != RequestPhase::Body) return;
    if (self.head_.extended_connect) return self.read_tunnel_client();
    self.read_client_body();
  });
}

void H2ProxyExchange::on_stream_end(H2StreamEnd end) {
  on_strand([end = std::move(end)](H2ProxyExchange& self) { self.stream_ended(end); });
}

// ------------------------------------------------------------------ response

// Status and fields to the client, flushed at once (an app that answers
// before it reads the body, or streams events, must not wait for a body).
void H2ProxyExchange::relay_head(int status, const H2Fields& headers) {
  if (head_.extended_connect && status >= 200 && status < 300) {
    return accept_tunnel(status, headers);
  }
  if (!owns_request() || !enter(ResponsePhase::Body)) return;
  const ancm_request_api& api = *context_->api;
  api.set_status(request_, status, str(std::string_view()));
  for (const auto& [name, value] : headers) {
    if (forward_response_header(name, status, context_->forward_connection_header)) {
      api.add_header(request_, str(name), str(value));
    }
  }
  api.flush(request_, nullptr, nullptr);
  arm_timeout();
}

// Copied by the server; the window reopens when the client took the bytes,
// so a slow client holds at most a stream window of this response.
void H2ProxyExchange::relay_data(const std::string& piece) {
  if (in_tunnel()) return write_tunnel_client(piece);
  if (!owns_request() || response_phase_ == ResponsePhase::TunnelClosed) return;
  arm_timeout();
  context_->api->write_body(request_, piece.data(), piece.size(), &H2ProxyExchange::on_server_io,
                            server_op(&H2ProxyExchange::on_client_written));
}

void H2ProxyExchange::on_client_written(int status, std::size_t bytes) {
  if (status >= 0 && stream_) session_->consume(*stream_, bytes);
  if (status < 0 && owns_request()) {
    cancel_stream();
    abort_response("the client stopped reading");
  }
}

void H2ProxyExchange::end_response(const H2Fields& trailers) {
  if (in_tunnel()) return child_ended_tunnel();
  if (response_phase_ == ResponsePhase::TunnelClosed) return;
  // An extended CONNECT the app answered with no tunnel (not 2xx): our side
  // of the stream, held open for the tunnel, ends too.
  if (head_.extended_connect && stream_) session_->cancel(*stream_, NGHTTP2_NO_ERROR);
  if (!owns_request() || !enter(ResponsePhase::Done)) return;
  stop_timer();
  const ancm_request_api& api = *context_->api;
  if (ANCM_ABI_HAS(ancm_request_api, &api, add_trailer) && api.add_trailer) {
    // A field the front end refuses (-EINVAL, or a framing with no trailers) is left out.
    for (const auto& [name, value] : trailers) api.add_trailer(request_, str(name), str(value));
  }
  complete_request();
}

void H2ProxyExchange::stream_ended(const H2StreamEnd& end) {
  stream_.reset();
  if (end.connect_refused) return refuse_extended_connect(end.why);
  if (response_phase_ == ResponsePhase::Upgrading || response_phase_ == ResponsePhase::Tunnel ||
      response_phase_ == ResponsePhase::TunnelClosed) {
    return tunnel_stream_ended(end);
  }
  if (end.error_code == NGHTTP2_NO_ERROR && request_phase_ == RequestPhase::Finishing &&
      !enter(RequestPhase::Sent)) {
    return;
  }
  if (!owns_request()) return;
  if (end.error_code == NGHTTP2_NO_ERROR && response_phase_ == ResponsePhase::Done) return;
  if (end.unprocessed && !retried_ && body_bytes_read_ == 0 &&
      request_phase_ != RequestPhase::Body) {
    return retry_unprocessed(end);
  }
  if (end.connection_lost) context_->processes->report_unreachable(child_);
  std::string why = end.why.empty() ? "the stream of " + child_name() + " ended early" : end.why;
  if (response_phase_ == ResponsePhase::Head) return upstream_failed(why);
  reset_response(end.error_code, why);
}

// The stream never reached the app (refused after GOAWAY, or a connection
// that failed before its HEADERS went out, e.g. the child died): once more,
// on a child the manager vouches for.
void H2ProxyExchange::retry_unprocessed(const H2StreamEnd& end) {
  retried_ = true;
  if (end.connection_lost) context_->processes->report_unreachable(child_);
  if (!enter(RequestPhase::Connecting)) return;
  context_->processes->acquire([self = shared_from_this()](ProcessManager::Acquired acquired) {
    asio::dispatch(self->strand_, [self, acquired = std::move(acquired)]() mutable {
      self->on_retry_process(std::move(acquired));
    });
  });
}

void H2ProxyExchange::on_retry_process(ProcessManager::Acquired acquired) {
  if (!owns_request()) return;
  if (!acquired.ok()) {
    stop_timer();
    return fail_request(acquired.error());
  }
  child_ = std::move(acquired).value();
  if (child_->protocol() != ChildProtocol::H2c) {
    return upstream_failed(child_name() + " no longer speaks HTTP/2");
  }
  // The token is the new child's.
  for (auto& [name, value] : head_.fields) {
    if (name == "ms-aspnetcore-token") value = child_->token();
  }
  open_stream();
}

// ------------------------------------------------------------------ failures

void H2ProxyExchange::arm_timeout() {
  if (context_->request_timeout.count() == 0) return;
  unsigned generation = ++timer_generation_;
  timer_.expires_after(context_->request_timeout);
  timer_.async_wait([self = shared_from_this(), generation](boost::system::error_code ec) {
    if (ec || generation != self->timer_generation_ || !self->owns_request()) return;
    self->on_request_timeout();
  });
}

void H2ProxyExchange::on_request_timeout() {
  std::string why = "the application did not respond within requestTimeout (" +
                    std::to_string(context_->request_timeout.count()) + " s)";
  context_->log(ANCM_LOG_WARNING, why + " (" + child_name() + ", HTTP/2)");
  cancel_stream();
  if (response_phase_ != ResponsePhase::Head) return abort_response(why);
  upstream_failed(why);
}

void H2ProxyExchange::stop_timer() {
  ++timer_generation_;
  timer_.cancel();
}

void H2ProxyExchange::cancel_stream() {
  if (session_ && stream_) session_->cancel(*stream_, NGHTTP2_CANCEL);
}

// Before the response's head: 502.3, as on the HTTP/1.1 path.
void H2ProxyExchange::upstream_failed(const std::string& why) {
  if (!owns_request()) return;
  context_->log(ANCM_LOG_WARNING, why);
  stop_timer();
  fail_request({{502, 3}, why, {}});
}

void H2ProxyExchange::abort_response(const std::string& why, std::string_view logged_as) {
  if (!owns_request()) return;
  stop_timer();
  if (!client_facts_.gone) context_->log(ANCM_LOG_INFO, std::string(logged_as) + why);
  abort_request();
}

// The child reset the stream after its head went out: the client's stream is
// reset with the same code (HTTP/2 clients), or its connection closed (HTTP/1.x).
void H2ProxyExchange::reset_response(std::uint32_t error_code, const std::string& why) {
  const ancm_request_api& api = *context_->api;
  if (!ANCM_ABI_HAS(ancm_request_api, &api, reset) || !api.reset) return abort_response(why);
  stop_timer();
  context_->log(ANCM_LOG_INFO, std::string(kResponseCutShort) + why);
  if (enter(RequestOwnership::Aborted)) api.reset(request_, error_code);
}

// RFC 8441 needs the child's SETTINGS_ENABLE_CONNECT_PROTOCOL (Kestrel sends
// it on HTTP/2 endpoints since ASP.NET Core 7): without it, 501, said plainly,
// not a request the app would see as a malformed CONNECT.
void H2ProxyExchange::refuse_extended_connect(const std::string& why) {
  if (!owns_request()) return;
  stop_timer();
  std::string said = std::string(kWebSocketOverH2cRefused) + child_name() + ": " + why;
  context_->log(ANCM_LOG_WARNING, said);
  fail_request({{501, 0}, std::move(said), {}});
}

std::string H2ProxyExchange::child_name() const {
  return "the application process " + std::to_string(child_->pid()) + " on port " +
         std::to_string(child_->port());
}

// ------------------------------------------------------------------ state

void H2ProxyExchange::complete_request() {
  if (enter(RequestOwnership::Completed)) context_->api->complete(request_);
}

void H2ProxyExchange::abort_request() {
  if (enter(RequestOwnership::Aborted)) context_->api->abort(request_);
}

void H2ProxyExchange::fail_request(const common::PageFailure& failure) {
  if (!enter(RequestOwnership::Failed)) return;
  ancm_failure page = common::abi_failure(failure);
  context_->host->fail_request(context_->host->ctx, request_, &page);
}

bool H2ProxyExchange::enter(RequestPhase to) {
  return common::checked_move(request_phase_, to, [&](auto from, auto next) {
    report_illegal("request phase", from, next);
  });
}

bool H2ProxyExchange::enter(ResponsePhase to) {
  return common::checked_move(response_phase_, to, [&](auto from, auto next) {
    report_illegal("response phase", from, next);
  });
}

bool H2ProxyExchange::enter(RequestOwnership to) {
  return common::checked_move(ownership_, to, [&](auto from, auto next) {
    report_illegal("request ownership", from, next);
  });
}

// A bug: nothing of this exchange goes on; the stream is reset and the
// request, if still ours, aborted.
void H2ProxyExchange::report_illegal(std::string_view what, std::string_view from,
                                     std::string_view to) {
  context_->log(ANCM_LOG_ERROR, "HTTP/2 proxy exchange with " + child_name() + ": illegal " +
                                    std::string(what) + " transition " + std::string(from) +
                                    " -> " + std::string(to) +
                                    "; the request is aborted and its stream reset");
  stop_timer();
  cancel_stream();
  if (owns_request()) abort_request();
}

}  // namespace ancm::outofproc
