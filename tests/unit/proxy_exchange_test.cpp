// The out-of-process proxy on its own: ProxyExchange driven through a
// stand-in for the server's request API, against a child that frames
// HTTP/1.1 the way Kestrel does (the fake backend's --keep-alive mode). The
// tests look at what the child ran, on which upstream connection, and what
// the client was answered, for requests the server's front end may also
// refuse (the proxy must be safe without it).
#include "proxy_exchange.h"

#include <gtest/gtest.h>
#include <strings.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ancm/abi_strings.h"
#include "ancm/outofproc/log_text.h"
#include "connection_pool.h"
#include "h2_proxy_exchange.h"
#include "h2_test_server.h"
#include "h2_upstreams.h"
#include "host_process.h"
#include "process_manager.h"
#include "proxy_threads.h"
#include "temp_dir.h"

namespace ancm::outofproc {
namespace {

using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A client connection's slot for the handler's data (the server's
// connection_data): released once, when replaced or when the connection closes.
class FakeConnection {
 public:
  using Release = void (*)(void*);
  FakeConnection() = default;
  FakeConnection(const FakeConnection&) = delete;
  FakeConnection& operator=(const FakeConnection&) = delete;
  ~FakeConnection() { close(); }

  void* get(Release release) {
    std::lock_guard lock(mutex_);
    return release_ == release ? data_ : nullptr;
  }
  int set(void* data, Release release) {
    void* old = nullptr;
    Release old_release = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return -ENOTCONN;
      old = std::exchange(data_, data);
      old_release = std::exchange(release_, release);
    }
    if (old && old != data && old_release) old_release(old);
    return 0;
  }
  void close() {
    void* old = nullptr;
    Release old_release = nullptr;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      old = std::exchange(data_, nullptr);
      old_release = std::exchange(release_, nullptr);
    }
    if (old && old_release) old_release(old);
  }

 private:
  std::mutex mutex_;
  void* data_ = nullptr;
  Release release_ = nullptr;
  bool closed_ = false;
};

// One client request as the server hands it to a handler, and what the
// handler did with it. The test hands over the body piece by piece.
class FakeRequest {
 public:
  enum class Outcome { Pending, Completed, Aborted, Failed };

  FakeRequest(std::string method, std::string target, Headers headers, bool has_body = false)
      : method_(std::move(method)),
        target_(std::move(target)),
        headers_(std::move(headers)),
        has_body_(has_body) {
    for (const auto& [name, value] : headers_) kv_.push_back({abi::str(name), abi::str(value)});
  }

  ancm_request* handle() { return reinterpret_cast<ancm_request*>(this); }
  // The client connection the request came on (set before the proxy starts).
  void arrive_on(FakeConnection& connection) { connection_ = &connection; }
  bool has_connection() const { return connection_ != nullptr; }
  static FakeRequest& of(ancm_request* request) { return *reinterpret_cast<FakeRequest*>(request); }

  void send_body(std::string piece) {
    std::unique_lock lock(mutex_);
    body_.push_back(std::move(piece));
    deliver(lock);
  }
  void end_body() {
    std::unique_lock lock(mutex_);
    body_ended_ = true;
    deliver(lock);
  }
  void send_whole_body(std::string body) {
    send_body(std::move(body));
    end_body();
  }

  bool wait_ended(std::chrono::milliseconds limit = 60s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return outcome_ != Outcome::Pending; });
  }

  // Until the handler waits for body bytes the test has not given yet.
  bool wait_reading(std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return read_.cb && body_.empty(); });
  }

  // The client goes away: the server's disconnect callback says so, and the
  // body read outstanding fails, as the server's would. The handler still
  // ends the request.
  void client_goes_away() {
    PendingRead read;
    ancm_disconnect_callback disconnect = nullptr;
    void* disconnect_ctx = nullptr;
    {
      std::lock_guard lock(mutex_);
      read = std::exchange(read_, {});
      disconnect = std::exchange(disconnect_, nullptr);
      disconnect_ctx = disconnect_ctx_;
    }
    if (disconnect) disconnect(disconnect_ctx, 1);
    if (read.cb) read.cb(read.ctx, -ECONNRESET, 0);
  }

  // Until the handler flushed the response (its head) to the client.
  bool wait_flushed(std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return flushes_ > 0; });
  }

  // The shim's failure page ends the request too.
  static void fail(ancm_request* r, int status) {
    {
      std::lock_guard lock(of(r).mutex_);
      of(r).status_ = status;
    }
    of(r).end(Outcome::Failed);
  }

  Outcome outcome() const {
    std::lock_guard lock(mutex_);
    return outcome_;
  }
  // How many times complete, abort or a failure page came (once is right).
  int ends() const {
    std::lock_guard lock(mutex_);
    return ends_;
  }
  // Calls on the request after it ended (none is right).
  int calls_after_end() const {
    std::lock_guard lock(mutex_);
    return calls_after_end_;
  }
  int status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }
  // How many body pieces the proxy lent instead of handing over to copy.
  int lent_writes() const {
    std::lock_guard lock(mutex_);
    return lent_writes_;
  }
  // How many body pieces went through a pipe (write_body_from_pipe).
  int pipe_writes() const {
    std::lock_guard lock(mutex_);
    return pipe_writes_;
  }
  // The last minimum body rate the proxy set (set_min_body_rate), if any.
  std::optional<uint32_t> min_body_rate() const {
    std::lock_guard lock(mutex_);
    return min_body_rate_;
  }
  // As a cleartext HTTP/1.x connection: read_body_to_pipe takes reads.
  void offer_pipe_reads() { takes_pipe_reads_ = true; }
  // How many body reads went into a pipe (read_body_to_pipe).
  int pipe_reads() const {
    std::lock_guard lock(mutex_);
    return pipe_reads_;
  }
  // As a TLS or HTTP/2 connection: write_body_from_pipe answers -EOPNOTSUPP.
  void refuse_pipe_pieces() { takes_pipe_pieces_ = false; }
  // As a client that went away while a pipe piece was on its way.
  void fail_pipe_pieces() { fail_pipe_pieces_ = true; }
  std::string body() const {
    std::lock_guard lock(mutex_);
    return response_body_;
  }
  std::optional<std::string> header(const std::string& name) const {
    std::lock_guard lock(mutex_);
    for (const auto& [n, v] : response_headers_) {
      if (::strcasecmp(n.c_str(), name.c_str()) == 0) return v;
    }
    return std::nullopt;
  }

  // The trailer fields the proxy added, in order.
  Headers trailers() const {
    std::lock_guard lock(mutex_);
    return response_trailers_;
  }
  std::optional<uint32_t> reset_code() const {
    std::lock_guard lock(mutex_);
    return reset_code_;
  }
  // The client's trailer fields, known once the body ended.
  void set_request_trailers(Headers trailers) {
    std::lock_guard lock(mutex_);
    request_trailers_ = std::move(trailers);
    for (const auto& [name, value] : request_trailers_) {
      request_trailer_kv_.push_back({abi::str(name), abi::str(value)});
    }
  }

  static const ancm_request_api api;

 private:
  struct PendingRead {
    char* buffer = nullptr;
    int pipe = -1;  // read_body_to_pipe's, instead of buffer
    std::size_t cap = 0;
    ancm_io_callback cb = nullptr;
    void* ctx = nullptr;
  };

  // Answers the outstanding body read if there is something to answer it
  // with; the callback runs without the lock, as the server's would.
  void deliver(std::unique_lock<std::mutex>& lock) {
    if (!read_.cb || (body_.empty() && !body_ended_)) return;
    PendingRead read = std::exchange(read_, {});
    std::size_t bytes = 0;
    if (!body_.empty()) {
      bytes = std::min(read.cap, body_.front().size());
      if (read.pipe >= 0) {
        // As the server's: what the pipe takes (it has room for cap bytes).
        ++pipe_reads_;
        ssize_t written = ::write(read.pipe, body_.front().data(), bytes);
        bytes = written > 0 ? static_cast<std::size_t>(written) : 0;
        if (bytes == 0) ADD_FAILURE() << "the proxy's pipe took no byte";
      } else {
        std::copy_n(body_.front().data(), bytes, read.buffer);
      }
      body_.front().erase(0, bytes);
      if (body_.front().empty()) body_.pop_front();
    }
    changed_.notify_all();
    lock.unlock();
    read.cb(read.ctx, 0, bytes);
    lock.lock();
  }

  // The request ends once: a body read still outstanding is cancelled, and
  // the disconnect callback learns that the client did not go away.
  void end(Outcome outcome) {
    PendingRead read;
    ancm_disconnect_callback disconnect = nullptr;
    void* disconnect_ctx = nullptr;
    {
      std::lock_guard lock(mutex_);
      ++ends_;
      if (outcome_ != Outcome::Pending) return;
      outcome_ = outcome;
      read = std::exchange(read_, {});
      disconnect = std::exchange(disconnect_, nullptr);
      disconnect_ctx = disconnect_ctx_;
      changed_.notify_all();
    }
    if (read.cb) read.cb(read.ctx, -ECONNRESET, 0);
    if (disconnect) disconnect(disconnect_ctx, 0);
  }

  // Under mutex_.
  void note_call() {
    if (outcome_ != Outcome::Pending) ++calls_after_end_;
  }

  static ancm_str method(ancm_request* r) { return abi::str(of(r).method_); }
  static ancm_str connect_protocol(ancm_request* r) { return abi::str(of(r).connect_protocol_); }
  static ancm_str target(ancm_request* r) { return abi::str(of(r).target_); }
  static ancm_str empty(ancm_request*) { return {"", 0}; }
  static int version(ancm_request*) { return 11; }
  static size_t header_count(ancm_request* r) { return of(r).kv_.size(); }
  static const ancm_kv* headers(ancm_request* r) { return of(r).kv_.data(); }
  static ancm_str loopback(ancm_request*) { return {"127.0.0.1", 9}; }
  static uint16_t remote_port(ancm_request*) { return 40000; }
  static uint16_t local_port(ancm_request*) { return 8080; }
  static int is_tls(ancm_request*) { return 0; }
  static int has_body(ancm_request* r) { return of(r).has_body_ ? 1 : 0; }
  static void read_body(ancm_request* r, void* buffer, size_t cap, ancm_io_callback cb, void* ctx) {
    auto& request = of(r);
    std::unique_lock lock(request.mutex_);
    if (request.outcome_ != Outcome::Pending) {
      ++request.calls_after_end_;
      lock.unlock();
      return cb(ctx, -ECONNRESET, 0);
    }
    request.read_ = {static_cast<char*>(buffer), -1, cap, cb, ctx};
    request.changed_.notify_all();
    request.deliver(lock);
  }
  // Taken only when offered (offer_pipe_reads); the body goes into the pipe
  // as read_body's goes into the buffer.
  static int read_body_to_pipe(ancm_request* r, int pipe_fd, size_t max, ancm_io_callback cb,
                               void* ctx) {
    auto& request = of(r);
    std::unique_lock lock(request.mutex_);
    if (!request.takes_pipe_reads_) return -EOPNOTSUPP;
    if (max == 0) return 0;
    if (request.outcome_ != Outcome::Pending) {
      ++request.calls_after_end_;
      lock.unlock();
      cb(ctx, -ECONNRESET, 0);
      return 0;
    }
    request.read_ = {nullptr, pipe_fd, max, cb, ctx};
    request.changed_.notify_all();
    request.deliver(lock);
    return 0;
  }
  static int set_status(ancm_request* r, int status, ancm_str) {
    std::lock_guard lock(of(r).mutex_);
    of(r).note_call();
    of(r).status_ = status;
    return 0;
  }
  static int add_header(ancm_request* r, ancm_str name, ancm_str value) {
    std::lock_guard lock(of(r).mutex_);
    of(r).note_call();
    of(r).response_headers_.emplace_back(std::string(name.data, name.len),
                                         std::string(value.data, value.len));
    return 0;
  }
  // As the server's: refuses Cache-Control (a field HTTP forbids as a trailer).
  static int add_trailer(ancm_request* r, ancm_str name, ancm_str value) {
    std::lock_guard lock(of(r).mutex_);
    of(r).note_call();
    if (of(r).outcome_ != Outcome::Pending) return -ESTALE;
    std::string field(name.data, name.len);
    if (::strcasecmp(field.c_str(), "Cache-Control") == 0) return -EINVAL;
    of(r).response_trailers_.emplace_back(std::move(field), std::string(value.data, value.len));
    return 0;
  }
  static void write_body(ancm_request* r, const void* data, size_t len, ancm_io_callback cb,
                         void* ctx) {
    {
      std::lock_guard lock(of(r).mutex_);
      of(r).note_call();
      of(r).response_body_.append(static_cast<const char*>(data), len);
    }
    if (cb) cb(ctx, 0, len);
  }
  static void write_body_borrowed(ancm_request* r, const void* data, size_t len,
                                  ancm_io_callback cb, void* ctx) {
    auto& request = of(r);
    std::lock_guard lock(request.mutex_);
    request.note_call();
    ++request.lent_writes_;
    request.lent_.push_back({static_cast<const char*>(data), len, cb, ctx, {}, false});
    if (!request.lender_.joinable()) {
      request.lender_ = std::jthread([&request](std::stop_token stop) { request.lend(stop); });
    }
    request.lent_changed_.notify_all();
  }
  static int set_min_body_rate(ancm_request* r, uint32_t bytes_per_second, uint32_t) {
    auto& request = of(r);
    std::lock_guard lock(request.mutex_);
    request.min_body_rate_ = bytes_per_second;
    return 0;
  }
  // A pipe piece is read out of the pipe now (its bytes are all there, as
  // the server's splice would find them) and then goes as a lent piece.
  static int write_body_from_pipe(ancm_request* r, int pipe_fd, size_t len, ancm_io_callback cb,
                                  void* ctx) {
    auto& request = of(r);
    if (len == 0) return request.takes_pipe_pieces_ ? 0 : -EOPNOTSUPP;
    std::string bytes(len, '\0');
    std::size_t got = 0;
    while (got < len) {
      ssize_t n = ::read(pipe_fd, bytes.data() + got, len - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got < len)
      ADD_FAILURE() << "the pipe held " << got << " of the " << len << " bytes promised";
    std::lock_guard lock(request.mutex_);
    request.note_call();
    ++request.pipe_writes_;
    request.lent_.push_back(
        LentWrite{nullptr, got, cb, ctx, std::move(bytes), request.fail_pipe_pieces_});
    if (!request.lender_.joinable()) {
      request.lender_ = std::jthread([&request](std::stop_token stop) { request.lend(stop); });
    }
    request.lent_changed_.notify_all();
    return 0;
  }
  // Each lent piece is copied and called back in order; once the request
  // ended, or when the test ends, its callback says so (status < 0).
  void lend(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (true) {
      lent_changed_.wait(lock, stop, [&] { return !lent_.empty(); });
      if (lent_.empty()) return;
      LentWrite write = std::move(lent_.front());
      lent_.pop_front();
      bool ended = outcome_ != Outcome::Pending || stop.stop_requested();
      const char* bytes = write.owned.empty() ? write.data : write.owned.data();
      if (!ended && !write.fails) response_body_.append(bytes, write.len);
      lock.unlock();
      if (write.fails) {
        write.cb(write.ctx, -ECONNRESET, 0);
      } else {
        write.cb(write.ctx, ended ? -ECANCELED : 0, ended ? 0 : write.len);
      }
      lock.lock();
    }
  }
  static void flush(ancm_request* r, ancm_io_callback cb, void* ctx) {
    {
      std::lock_guard lock(of(r).mutex_);
      of(r).note_call();
      ++of(r).flushes_;
      of(r).changed_.notify_all();
    }
    if (cb) cb(ctx, 0, 0);
  }
  static void complete(ancm_request* r) { of(r).end(Outcome::Completed); }
  static void reset(ancm_request* r, uint32_t code) {
    {
      std::lock_guard lock(of(r).mutex_);
      of(r).reset_code_ = code;
    }
    of(r).end(Outcome::Aborted);
  }
  static const ancm_kv* request_trailers(ancm_request* r, size_t* count) {
    std::lock_guard lock(of(r).mutex_);
    *count = of(r).request_trailer_kv_.size();
    return of(r).request_trailer_kv_.data();
  }
  static void abort(ancm_request* r) { of(r).end(Outcome::Aborted); }
  static void on_disconnect(ancm_request* r, ancm_disconnect_callback cb, void* ctx) {
    std::lock_guard lock(of(r).mutex_);
    of(r).disconnect_ = cb;
    of(r).disconnect_ctx_ = ctx;
  }
  // No raw stream here: the proxy closes its side at once.
  static void upgrade(ancm_request*, void (*cb)(void*, ancm_stream*), void* ctx) {
    cb(ctx, nullptr);
  }

  static void* connection_data(ancm_request* r, void (*release)(void*)) {
    return of(r).connection_->get(release);
  }
  static int set_connection_data(ancm_request* r, void* data, void (*release)(void*)) {
    return of(r).connection_->set(data, release);
  }

  FakeConnection* connection_ = nullptr;
  std::string method_, target_;
  std::string connect_protocol_;  // an extended CONNECT's :protocol; empty for others

 public:
  void set_connect_protocol(std::string protocol) { connect_protocol_ = std::move(protocol); }

 private:
  Headers headers_;
  std::vector<ancm_kv> kv_;
  bool has_body_;

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> body_;
  bool body_ended_ = false;
  PendingRead read_;
  ancm_disconnect_callback disconnect_ = nullptr;
  void* disconnect_ctx_ = nullptr;
  Outcome outcome_ = Outcome::Pending;
  int status_ = 0;
  Headers response_headers_;
  Headers response_trailers_;
  std::string response_body_;
  int flushes_ = 0;
  std::optional<uint32_t> reset_code_;
  Headers request_trailers_;
  std::vector<ancm_kv> request_trailer_kv_;
  int ends_ = 0;
  int calls_after_end_ = 0;

  // Lent body pieces, taken by the lender thread after write_body_borrowed
  // returned (as the server's socket write would): it reads the bytes only
  // then, so a piece the proxy freed too early is a use after free.
  struct LentWrite {
    const char* data = nullptr;
    std::size_t len = 0;
    ancm_io_callback cb = nullptr;
    void* ctx = nullptr;
    std::string owned;   // a pipe piece's bytes, read out of the pipe
    bool fails = false;  // answered as a client that went away
  };
  std::deque<LentWrite> lent_;
  int lent_writes_ = 0;
  int pipe_writes_ = 0;
  bool takes_pipe_pieces_ = true;  // as a cleartext HTTP/1.x connection does
  int pipe_reads_ = 0;
  bool takes_pipe_reads_ = false;  // the tests of piped uploads offer them
  std::optional<uint32_t> min_body_rate_;
  bool fail_pipe_pieces_ = false;  // each pipe piece is answered -ECONNRESET
  std::condition_variable_any lent_changed_;
  std::jthread lender_;  // last: stopped and joined before the rest goes
};

const ancm_request_api FakeRequest::api = {
    .abi_version = ANCM_HANDLER_ABI_VERSION,
    .struct_size = sizeof(ancm_request_api),
    .method = &FakeRequest::method,
    .target = &FakeRequest::target,
    .path = &FakeRequest::target,
    .query = &FakeRequest::empty,
    .http_version = &FakeRequest::version,
    .header_count = &FakeRequest::header_count,
    .headers = &FakeRequest::headers,
    .remote_address = &FakeRequest::loopback,
    .remote_port = &FakeRequest::remote_port,
    .local_address = &FakeRequest::loopback,
    .local_port = &FakeRequest::local_port,
    .is_tls = &FakeRequest::is_tls,
    .has_body = &FakeRequest::has_body,
    .read_body = &FakeRequest::read_body,
    .set_status = &FakeRequest::set_status,
    .add_header = &FakeRequest::add_header,
    .write_body = &FakeRequest::write_body,
    .flush = &FakeRequest::flush,
    .complete = &FakeRequest::complete,
    .abort = &FakeRequest::abort,
    .on_disconnect = &FakeRequest::on_disconnect,
    .upgrade = &FakeRequest::upgrade,
    .stream_read = nullptr,
    .stream_write = nullptr,
    .stream_close = nullptr,
    .request_info = nullptr,
    .connection_executor = nullptr,  // the proxy runs on its own threads
    .write_body_borrowed = &FakeRequest::write_body_borrowed,
    .request_trailers = &FakeRequest::request_trailers,
    .connection_data = &FakeRequest::connection_data,
    .set_connection_data = &FakeRequest::set_connection_data,
    .add_trailer = &FakeRequest::add_trailer,
    .reset = &FakeRequest::reset,
    .tls_info = nullptr,
    .connect_protocol = &FakeRequest::connect_protocol,
    .write_body_from_pipe = &FakeRequest::write_body_from_pipe,
    .set_min_body_rate = &FakeRequest::set_min_body_rate,
    .read_body_to_pipe = &FakeRequest::read_body_to_pipe,
};

void log_nothing(void*, ancm_log_level, ancm_str) {}
void fail_request(void*, ancm_request* request, const ancm_failure* failure) {
  FakeRequest::fail(request, failure->status);
}
const ancm_host_services kHost = {
    sizeof(ancm_host_services), nullptr, &log_nothing, nullptr, &fail_request, nullptr};

class ProxyExchangeTest : public ::testing::Test {
 protected:
  ProxyExchangeTest() {
    Settings settings;
    settings.config_path = dir_.path() / "web.config";
    settings.app_path = dir_.path();
    settings.process_path = ANCM_FAKE_BACKEND;
    settings.arguments = "--keep-alive --request-log '" + request_log().string() + "'";
    settings.startup_time_limit = 20s;
    settings.shutdown_time_limit = 5s;
    processes_ =
        std::make_unique<ProcessManager>(settings, [](ancm_log_level, const std::string&) {});
    auto context = std::make_shared<ProxyContext>();
    context->api = &FakeRequest::api;
    context->host = &kHost;
    context->processes = processes_.get();
    context->pool = &pool_;
    context->h2 = &h2_;
    context->own_threads = &threads_;
    context->relay_budget = &budget_;
    // A request the proxy forgot to finish fails the test after this, not never.
    context->request_timeout = 10s;
    context->log = [errors = errors_logged_](ancm_log_level level, const std::string&) {
      if (level == ANCM_LOG_ERROR) ++*errors;
    };
    context_ = std::move(context);
  }

  ~ProxyExchangeTest() override {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (context_->active_exchanges > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    client_.close();
    pool_.clear();  // its sockets belong to the threads' io_context
    h2_.close_all();
    threads_.stop();
    processes_->shutdown();
  }

  std::filesystem::path request_log() const { return dir_.path() / "requests.log"; }
  // The fake child's routes that pause mid-response (/sized-until-told,
  // /sized-then-stray) go on once this file exists.
  void let_the_child_go_on() const { std::ofstream(request_log().string() + ".go") << "go"; }

  // Whether every exchange ended (the last may still be ending on its strand
  // after the request did).
  bool no_exchange_left() const {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (context_->active_exchanges > 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  // POSTs 1 MiB of `fill` to the child's /echo and checks it all came back
  // and the exchange ended.
  void expect_large_echo(char fill) {
    const std::string body(1024 * 1024, fill);
    FakeRequest post("POST", "/echo",
                     {{"Host", "h"}, {"Content-Length", std::to_string(body.size())}},
                     /*has_body=*/true);
    run(post, body);
    EXPECT_EQ(post.status(), 200);
    EXPECT_NE(post.body().find("body: " + body + "\n"), std::string::npos);
    EXPECT_GT(post.lent_writes(), 0) << "no piece went through write_body_borrowed";
    EXPECT_TRUE(no_exchange_left());
  }

  // On the test's one client connection unless the test chose another.
  void start(FakeRequest& request) {
    if (!request.has_connection()) request.arrive_on(client_);
    std::make_shared<ProxyExchange>(context_, request.handle())->start();
  }

  // One request, its whole body given at once, through to its end.
  void run(FakeRequest& request, const std::string& body = "") {
    start(request);
    if (!body.empty()) request.send_whole_body(body);
    ASSERT_TRUE(request.wait_ended()) << "the proxy did not end the request";
  }

  // "conn <n> <METHOD> <target>" for each request the child ran.
  std::vector<std::string> requests_run() const {
    std::vector<std::string> lines;
    std::istringstream text(test::read_file(request_log()));
    for (std::string line; std::getline(text, line);) {
      if (line.starts_with("conn ")) lines.push_back(line);
    }
    return lines;
  }
  std::string all_requests_run() const { return test::read_file(request_log()); }

  // Waits for the child to log a line (it logs as it goes; the bound only
  // ends a failing test).
  bool child_logs(const std::string& line) const {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (all_requests_run().find(line) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  // The upstream connection that carried a request: the n of "conn <n>".
  std::string connection_of(const std::string& method_and_target) const {
    std::smatch match;
    std::string log = all_requests_run();
    std::regex line("conn ([0-9]+) " + method_and_target + "\n");
    return std::regex_search(log, match, line) ? match[1].str() : "none";
  }

  RelayBudget budget_;  // first: outlives every exchange
  test::TempDir dir_{"ancm-proxy"};
  ConnectionPool pool_;
  H2Upstreams h2_{[](ancm_log_level, const std::string&) {}};
  FakeConnection client_;  // the client connection requests come on by default
  ProxyThreads threads_{2};
  std::unique_ptr<ProcessManager> processes_;
  // The proxy logs an error only for a bug (an illegal state transition, a
  // call on a request it had handed back).
  std::shared_ptr<std::atomic<int>> errors_logged_ = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<const ProxyContext> context_;
};

const std::string kSmuggled = "GET /smuggled HTTP/1.1";

// The reproduction, against the proxy alone: an upgrade request whose
// 28-byte body the child never reads, then a request whose header line sits
// exactly 28 bytes into the forwarded head ("GET /abcdefg HTTP/1.1\r\nX-A: ").
TEST_F(ProxyExchangeTest, AnUpgradeWithABodyCannotSmuggleTheNextRequest) {
  FakeRequest upgrade(
      "GET", "/ignore-body",
      {{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "foo"}, {"Content-Length", "28"}},
      /*has_body=*/true);
  run(upgrade, std::string(28, 'b'));
  EXPECT_EQ(upgrade.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(upgrade.body(), "ignored\n");

  FakeRequest next("GET", "/abcdefg", {{"X-A", kSmuggled}, {"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(next.body().find("\nGET /abcdefg\n"), std::string::npos) << next.body();
  EXPECT_EQ(all_requests_run().find("/smuggled"), std::string::npos) << all_requests_run();
}

// The app's Kestrel bounds the body's rate and knows which requests stream
// at the client's pace (gRPC): the front end's minimum is turned off.
TEST_F(ProxyExchangeTest, TheMinimumBodyRateIsLeftToTheApp) {
  FakeRequest request("POST", "/echo", {{"Host", "h"}, {"Content-Length", "5"}},
                      /*has_body=*/true);
  run(request, "hello");
  EXPECT_EQ(request.status(), 200);
  EXPECT_EQ(request.min_body_rate(), std::optional<uint32_t>(0));
}

// The child is not asked to upgrade when the request has a body: it gets a
// plain request and the whole body (as Kestrel would serve it anyway).
TEST_F(ProxyExchangeTest, AnUpgradeWithABodyReachesTheChildAsAPlainRequest) {
  FakeRequest request(
      "POST", "/echo",
      {{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}, {"Content-Length", "5"}},
      /*has_body=*/true);
  run(request, "hello");
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(request.status(), 200);
  EXPECT_NE(request.body().find("body: hello\n"), std::string::npos) << request.body();
  EXPECT_EQ(request.body().find("Upgrade:"), std::string::npos) << request.body();
  EXPECT_EQ(request.body().find("Connection:"), std::string::npos) << request.body();
}

TEST_F(ProxyExchangeTest, H2cIsNeverAskedOfTheChild) {
  FakeRequest post("POST", "/echo",
                   {{"Host", "h"},
                    {"Connection", "Upgrade, HTTP2-Settings"},
                    {"Upgrade", "h2c"},
                    {"HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"},
                    {"Content-Length", "5"}},
                   /*has_body=*/true);
  run(post, "hello");
  EXPECT_EQ(post.status(), 200);
  EXPECT_NE(post.body().find("body: hello\n"), std::string::npos) << post.body();
  for (const char* gone : {"Upgrade:", "HTTP2-Settings:", "Connection:"}) {
    EXPECT_EQ(post.body().find(gone), std::string::npos) << gone << "\n" << post.body();
  }

  FakeRequest get("GET", "/plain", {{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "h2c"}});
  run(get);
  EXPECT_EQ(get.status(), 200);
  EXPECT_EQ(get.body().find("Upgrade:"), std::string::npos) << get.body();
}

TEST_F(ProxyExchangeTest, ARefusedUpgradeDoesNotReturnToThePool) {
  FakeRequest upgrade("GET", "/refused",
                      {{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "foo"}});
  run(upgrade);
  EXPECT_EQ(upgrade.status(), 200);
  EXPECT_NE(upgrade.body().find("Upgrade: foo\n"), std::string::npos) << upgrade.body();

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(connection_of("GET /after"), connection_of("GET /refused")) << all_requests_run();
}

// The child answers while the body is still on its way: that connection
// ends, and the rest of the body never reaches the child.
TEST_F(ProxyExchangeTest, AnEarlyResponseDoesNotReturnToThePool) {
  FakeRequest early("POST", "/ignore-body", {{"Host", "h"}, {"Content-Length", "100000"}},
                    /*has_body=*/true);
  start(early);
  early.send_body("only the first piece of 100,000 bytes");
  ASSERT_TRUE(early.wait_ended());
  EXPECT_EQ(early.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(early.body(), "ignored\n");

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(connection_of("GET /after"), connection_of("POST /ignore-body")) << all_requests_run();
  EXPECT_EQ(requests_run().size(), 2u) << all_requests_run();
}

// The child answers before the request's last bytes are with it and takes
// no more of them: the exchange ends with the response and closes the
// connection, instead of waiting for ever for a write the child never takes.
TEST_F(ProxyExchangeTest, AnAnswerBeforeTheWholeRequestIsTakenEndsTheExchange) {
  // A head larger than loopback's socket buffers can hold (4 MiB sent, 32 MiB
  // received at most, tcp_wmem and tcp_rmem): its write cannot end.
  FakeRequest answered("GET", "/answer-mid-head",
                       {{"Host", "h"}, {"X-Large", std::string(48 * 1024 * 1024, 'x')}});
  run(answered);
  EXPECT_EQ(answered.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(answered.body(), "early\n");
  EXPECT_TRUE(no_exchange_left()) << "the exchange still waits for the child to take its head";
  let_the_child_go_on();

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(connection_of("GET /after"), connection_of("GET /answer-mid-head"))
      << all_requests_run();
}

TEST_F(ProxyExchangeTest, AnOddInterimResponseDoesNotReturnToThePool) {
  FakeRequest hinted("GET", "/early-hints", {{"Host", "h"}});
  run(hinted);
  EXPECT_EQ(hinted.status(), 200);

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_NE(connection_of("GET /after"), connection_of("GET /early-hints")) << all_requests_run();
}

// A clean exchange does keep its connection: the rule above is not "never".
TEST_F(ProxyExchangeTest, ACleanExchangeReturnsToThePool) {
  FakeRequest post("POST", "/first", {{"Host", "h"}, {"Content-Length", "5"}},
                   /*has_body=*/true);
  run(post, "hello");
  FakeRequest next("GET", "/second", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(connection_of("GET /second"), connection_of("POST /first")) << all_requests_run();
}

// A 1 MiB body both ways (the child echoes it): what the exchange's pieces
// took from the application's relay budget is all given back once it ended.
TEST_F(ProxyExchangeTest, ALargeExchangeGivesItsRelayBudgetBack) {
  expect_large_echo('x');
  EXPECT_EQ(budget_.in_use(), 0u);
}

// With the budget spent by other exchanges, one relays with small pieces:
// slower, but every byte arrives and nothing more is taken.
TEST_F(ProxyExchangeTest, AnExchangePastTheRelayBudgetStillRelaysEverything) {
  ASSERT_TRUE(budget_.try_take(budget_.limit()));
  expect_large_echo('y');
  EXPECT_EQ(budget_.in_use(), budget_.limit());
  budget_.give_back(budget_.limit());
}

// A Content-Length body's piece is held only on its way to the client: while
// the child pauses mid-body the exchange waits holding no budget, so many
// slow responses cannot hold the budget that fast ones relay with.
TEST_F(ProxyExchangeTest, AnExchangeWaitingForTheChildHoldsNoRelayBudget) {
  FakeRequest slow("GET", "/sized-until-told", {{"Host", "h"}});
  start(slow);
  test::eventually([&] { return slow.body().size() >= 100000; }, 30s);
  ASSERT_EQ(slow.body().size(), 100000u) << "the first half did not arrive";
  // The last piece's callback may still be on its way to the exchange.
  test::eventually([&] { return budget_.in_use() == 0; });
  EXPECT_EQ(budget_.in_use(), 0u);
  let_the_child_go_on();
  ASSERT_TRUE(slow.wait_ended());
  EXPECT_EQ(slow.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(slow.body(), std::string(100000, 'a') + std::string(100000, 'b'));
}

// A large Content-Length body goes through the upstream connection's pipe
// when the server takes pipe pieces, and in lent pieces when it does not;
// every byte arrives either way, also across the child's pause mid-body.
TEST_F(ProxyExchangeTest, ALargeSizedBodyGoesThroughAPipeWhenTheServerTakesPipePieces) {
  FakeRequest piped("GET", "/sized-until-told", {{"Host", "h"}});
  start(piped);
  test::eventually([&] { return piped.body().size() >= 100000; }, 30s);
  let_the_child_go_on();
  ASSERT_TRUE(piped.wait_ended());
  EXPECT_EQ(piped.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(piped.body(), std::string(100000, 'a') + std::string(100000, 'b'));
  EXPECT_GT(piped.pipe_writes(), 0);
  EXPECT_LE(piped.lent_writes(), 1) << "only bytes read with the head go as a piece";
}

TEST_F(ProxyExchangeTest, ALargeSizedBodyGoesInPiecesWhenTheServerTakesNoPipePieces) {
  let_the_child_go_on();
  FakeRequest lent("GET", "/sized-until-told", {{"Host", "h"}});
  lent.refuse_pipe_pieces();
  start(lent);
  ASSERT_TRUE(lent.wait_ended());
  EXPECT_EQ(lent.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(lent.body(), std::string(100000, 'a') + std::string(100000, 'b'));
  EXPECT_EQ(lent.pipe_writes(), 0);
  EXPECT_GT(lent.lent_writes(), 0);
}

// A pipe piece the server could not write (the client went away) ends the
// response cut short; the upstream connection, its pipe maybe holding bytes,
// is not reused, and the next request is whole.
TEST_F(ProxyExchangeTest, AFailedPipePieceAbortsTheResponseAndTheNextIsWhole) {
  let_the_child_go_on();
  FakeRequest cut("GET", "/sized-until-told", {{"Host", "h"}});
  cut.fail_pipe_pieces();
  start(cut);
  ASSERT_TRUE(cut.wait_ended());
  EXPECT_EQ(cut.outcome(), FakeRequest::Outcome::Aborted);
  EXPECT_GT(cut.pipe_writes(), 0);
  EXPECT_TRUE(no_exchange_left());

  FakeRequest next("GET", "/sized-until-told", {{"Host", "h"}});
  start(next);
  ASSERT_TRUE(next.wait_ended());
  EXPECT_EQ(next.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(next.body(), std::string(100000, 'a') + std::string(100000, 'b'));
}

// A large upload the server offers to put into a pipe goes to the child
// through it (the proxy splices each piece on) and comes back whole; a small
// one still goes in pieces.
TEST_F(ProxyExchangeTest, ALargeUploadGoesThroughAPipeWhenTheServerOffersIt) {
  std::string body(1024 * 1024 + 5, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  FakeRequest post("POST", "/echo",
                   {{"Host", "h"}, {"Content-Length", std::to_string(body.size())}},
                   /*has_body=*/true);
  post.offer_pipe_reads();
  start(post);
  // In pieces larger than a pipe, as a client's bytes would come.
  for (std::size_t at = 0; at < body.size(); at += 100'000)
    post.send_body(body.substr(at, 100'000));
  post.end_body();
  ASSERT_TRUE(post.wait_ended());
  EXPECT_EQ(post.status(), 200);
  EXPECT_NE(post.body().find("body: " + body + "\n"), std::string::npos) << "the echo differs";
  EXPECT_GE(post.pipe_reads(), 16) << "1 MiB takes at least 16 pipes of 64 KiB";

  FakeRequest small("POST", "/echo", {{"Host", "h"}, {"Content-Length", "5"}}, /*has_body=*/true);
  small.offer_pipe_reads();
  run(small, "hello");
  EXPECT_NE(small.body().find("body: hello\n"), std::string::npos);
  EXPECT_EQ(small.pipe_reads(), 0);
  EXPECT_TRUE(no_exchange_left());
}

// A client that goes away in the middle of a piped upload ends its request
// once; the upstream connection, its pipe maybe holding bytes, is not reused,
// and the next upload is whole.
TEST_F(ProxyExchangeTest, AClientLeavingMidPipedUploadLeavesNothingForTheNext) {
  FakeRequest cut("POST", "/echo", {{"Host", "h"}, {"Content-Length", "500000"}},
                  /*has_body=*/true);
  cut.offer_pipe_reads();
  start(cut);
  cut.send_body(std::string(200'000, 'x'));
  ASSERT_TRUE(cut.wait_reading());
  cut.client_goes_away();
  ASSERT_TRUE(cut.wait_ended());
  EXPECT_EQ(cut.ends(), 1);
  EXPECT_GT(cut.pipe_reads(), 0);
  EXPECT_TRUE(no_exchange_left());

  const std::string body(300'000, 'y');
  FakeRequest next("POST", "/echo",
                   {{"Host", "h"}, {"Content-Length", std::to_string(body.size())}},
                   /*has_body=*/true);
  next.offer_pipe_reads();
  run(next, body);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(next.body().find("body: " + body + "\n"), std::string::npos);
}

// The server never hands over more body than the Content-Length it parsed,
// but if it did, the excess must not reach the child as the next request.
TEST_F(ProxyExchangeTest, ABodyLongerThanItsContentLengthIsNotForwarded) {
  FakeRequest request("POST", "/echo", {{"Host", "h"}, {"Content-Length", "5"}},
                      /*has_body=*/true);
  start(request);
  request.send_body("hello");
  request.send_body(kSmuggled + "\r\nHost: h\r\n\r\n");
  request.end_body();
  ASSERT_TRUE(request.wait_ended());
  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(all_requests_run().find("/smuggled"), std::string::npos) << all_requests_run();
}

TEST_F(ProxyExchangeTest, ABodyShorterThanItsContentLengthEndsTheRequestAtOnce) {
  FakeRequest request("POST", "/echo", {{"Host", "h"}, {"Content-Length", "10"}},
                      /*has_body=*/true);
  run(request, "hello");
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Aborted);
}

TEST_F(ProxyExchangeTest, HeadKeepsTheChildsContentLength) {
  FakeRequest head("HEAD", "/sized", {{"Host", "h"}});
  run(head);
  EXPECT_EQ(head.status(), 200);
  EXPECT_EQ(head.header("Content-Length"), "26");
  EXPECT_EQ(head.body(), "");

  FakeRequest get("GET", "/sized", {{"Host", "h"}});
  run(get);
  EXPECT_EQ(get.body(), "abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(connection_of("GET /sized"), connection_of("HEAD /sized")) << all_requests_run();
}

// A Content-Length body is read straight from the socket, up to its length:
// bytes the child sent past it (here a whole stray response) stay there, and
// must keep the connection from serving the next request, which would read
// them as its answer.
TEST_F(ProxyExchangeTest, BytesPastAContentLengthBodyKeepTheConnectionFromThePool) {
  FakeRequest sized("GET", "/sized-then-stray", {{"Host", "h"}});
  start(sized);
  // The head is relayed on its own, so the body comes from the socket.
  ASSERT_TRUE(sized.wait_flushed());
  let_the_child_go_on();
  ASSERT_TRUE(sized.wait_ended());
  EXPECT_EQ(sized.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(sized.body(), "abcdefghijklmnopqrstuvwxyz");

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_EQ(next.body().find("stray!"), std::string::npos) << next.body();
  EXPECT_NE(connection_of("GET /after"), connection_of("GET /sized-then-stray"))
      << all_requests_run();
}

TEST_F(ProxyExchangeTest, NotModifiedKeepsTheChildsContentLength) {
  FakeRequest request("GET", "/not-modified", {{"Host", "h"}});
  run(request);
  EXPECT_EQ(request.status(), 304);
  EXPECT_EQ(request.header("Content-Length"), "26");
  EXPECT_EQ(request.body(), "");

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(connection_of("GET /after"), connection_of("GET /not-modified")) << all_requests_run();
}

// The child closes mid-body: the client's response is cut short (its
// connection closed), never followed by an error page of the proxy's.
TEST_F(ProxyExchangeTest, AResponseCutShortByTheChildAbortsTheClientsResponse) {
  FakeRequest cut("GET", "/cut-short", {{"Host", "h"}});
  run(cut);
  EXPECT_EQ(cut.outcome(), FakeRequest::Outcome::Aborted);
  EXPECT_EQ(cut.status(), 200) << "a second response (an error page) followed the first";
  EXPECT_EQ(cut.header("Content-Length"), "100");
  EXPECT_EQ(cut.body(), "0123456789");

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(connection_of("GET /after"), connection_of("GET /cut-short")) << all_requests_run();
}

// The child said Connection: close: its connection is not reused, and the
// client's connection ends with the response as well.
TEST_F(ProxyExchangeTest, AConnectionTheChildClosesDoesNotReturnToThePool) {
  FakeRequest closing("GET", "/close", {{"Host", "h"}});
  run(closing);
  EXPECT_EQ(closing.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(closing.body(), "closing\n");
  EXPECT_EQ(closing.header("Connection"), "close");

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(connection_of("GET /after"), connection_of("GET /close")) << all_requests_run();
}

// A response without a length or chunking ends with the connection: read to
// the end, relayed whole, and that connection is not reused.
TEST_F(ProxyExchangeTest, AResponseFramedByTheConnectionsEndIsReadToItAndNotReused) {
  FakeRequest until_close("GET", "/until-close", {{"Host", "h"}});
  run(until_close);
  EXPECT_EQ(until_close.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(until_close.status(), 200);
  EXPECT_EQ(until_close.body(), "the body ends with the connection\n");

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_EQ(next.status(), 200);
  EXPECT_NE(connection_of("GET /after"), connection_of("GET /until-close")) << all_requests_run();
}

// The child's chunked response ends with trailer fields: each goes to the
// server's add_trailer before complete(), in order; one the server refuses
// is left out and the response still completes. The connection is kept.
TEST_F(ProxyExchangeTest, TheChildsResponseTrailersReachTheServer) {
  FakeRequest request("GET", "/trailers", {{"Host", "h"}});
  run(request);
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(request.body(), "hello");
  EXPECT_EQ(request.header("Trailer"), "grpc-status, x-checksum");
  Headers expected = {{"grpc-status", "0"}, {"x-checksum", "5d41402a"}};
  EXPECT_EQ(request.trailers(), expected);
  EXPECT_EQ(request.calls_after_end(), 0);

  FakeRequest next("GET", "/after", {{"Host", "h"}});
  run(next);
  EXPECT_TRUE(next.trailers().empty());
  EXPECT_EQ(connection_of("GET /after"), connection_of("GET /trailers")) << all_requests_run();
}

// The child sends its head before any body (and before it has the request's
// body): the head goes to the client then, not with the first body bytes.
TEST_F(ProxyExchangeTest, AHeadIsFlushedToTheClientBeforeTheBody) {
  FakeRequest request("POST", "/head-first", {{"Host", "h"}, {"Transfer-Encoding", "chunked"}},
                      /*has_body=*/true);
  start(request);
  ASSERT_TRUE(request.wait_flushed()) << "the head was not flushed while the body was awaited";
  EXPECT_EQ(request.status(), 200);
  EXPECT_EQ(request.body(), "");
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Pending);

  request.send_whole_body("hello");
  ASSERT_TRUE(request.wait_ended());
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(request.body(), "hello");
}

// A connection is kept for the client connection it served, and for no
// other: another client's request never waits behind a handler that may
// still run on it (an app that completed its response and went on).
TEST_F(ProxyExchangeTest, AnotherClientConnectionNeverGetsThisClientsConnection) {
  FakeRequest first("GET", "/first", {{"Host", "h"}});
  run(first);
  FakeConnection other_client;
  FakeRequest other("GET", "/other", {{"Host", "h"}});
  other.arrive_on(other_client);
  run(other);
  FakeRequest again("GET", "/again", {{"Host", "h"}});
  run(again);
  EXPECT_EQ(first.status(), 200);
  EXPECT_EQ(other.status(), 200);
  EXPECT_NE(connection_of("GET /other"), connection_of("GET /first")) << all_requests_run();
  EXPECT_EQ(connection_of("GET /again"), connection_of("GET /first")) << all_requests_run();
  other_client.close();
}

// The client connection closing leaves the connection kept for it to the
// next client connection (nobody can wait behind it any more): the child sees
// that client's request on it, and it is not closed.
TEST_F(ProxyExchangeTest, AClosedClientConnectionsUpstreamConnectionServesTheNextClient) {
  FakeConnection client;
  FakeRequest request("GET", "/kept", {{"Host", "h"}});
  request.arrive_on(client);
  run(request);
  ASSERT_EQ(request.outcome(), FakeRequest::Outcome::Completed);
  std::string upstream = connection_of("GET /kept");
  client.close();

  FakeConnection next_client;
  FakeRequest next("GET", "/next", {{"Host", "h"}});
  next.arrive_on(next_client);
  run(next);
  ASSERT_EQ(next.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(connection_of("GET /next"), upstream) << all_requests_run();
  EXPECT_EQ(all_requests_run().find("closed " + upstream + "\n"), std::string::npos)
      << all_requests_run();
  next_client.close();
}

// The client going away mid-body ends the request once (abort), however its
// disconnect and its failed body read reach the exchange, and nothing more is
// asked of the request after it ended; the upstream connection is closed.
TEST_F(ProxyExchangeTest, AClientThatGoesAwayMidBodyEndsItsRequestOnce) {
  FakeRequest request("POST", "/echo", {{"Host", "h"}, {"Content-Length", "10"}},
                      /*has_body=*/true);
  start(request);
  request.send_body("hello");
  ASSERT_TRUE(request.wait_reading()) << "the proxy did not read on";
  request.client_goes_away();
  ASSERT_TRUE(request.wait_ended()) << "the proxy did not end the request";
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Aborted);
  ASSERT_TRUE(child_logs(" POST /echo\n")) << all_requests_run();
  std::string upstream = connection_of("POST /echo");
  EXPECT_TRUE(child_logs("closed " + upstream + "\n")) << all_requests_run();
  EXPECT_EQ(request.ends(), 1);
  EXPECT_EQ(request.calls_after_end(), 0);
  EXPECT_EQ(*errors_logged_, 0);
}

// ------------------------------------------------------------------ HTTP/2 children

// A child that speaks HTTP/2: the nghttp2 server of upstream_h2_test.
class H2Child final : public ChildProcess {
 public:
  explicit H2Child(uint16_t port) : port_(port) {}
  pid_t pid() const override { return 4242; }
  uint16_t port() const override { return port_; }
  const std::string& token() const override { return token_; }
  bool running() const override { return true; }
  ChildProtocol protocol() const override { return ChildProtocol::H2c; }

 private:
  uint16_t port_;
  std::string token_ = "h2-token";
};

class H2ProxyExchangeTest : public ProxyExchangeTest {
 protected:
  // What ProxyExchange does once it knows the child speaks HTTP/2: the
  // exchange runs on the same strand, and hears of the client leaving there.
  void start_h2(FakeRequest& request) {
    if (!request.has_connection()) request.arrive_on(client_);
    auto strand = ProxyExchange::Strand::with_strand(threads_.io().get_executor());
    auto exchange = std::make_shared<H2ProxyExchange>(context_, request.handle(), strand,
                                                      std::make_shared<H2Child>(server_.port()));
    struct Gone {
      std::shared_ptr<H2ProxyExchange> exchange;
      ProxyExchange::Strand strand;
    };
    FakeRequest::api.on_disconnect(
        request.handle(),
        [](void* ctx, int client_gone) {
          std::unique_ptr<Gone> gone(static_cast<Gone*>(ctx));
          if (!client_gone) return;
          boost::asio::post(gone->strand, [exchange = gone->exchange] { exchange->client_gone(); });
        },
        std::make_unique<Gone>(Gone{exchange, strand}).release());
    boost::asio::post(strand, [exchange] { exchange->start(); });
  }

  test::H2TestServer server_;
};

TEST_F(H2ProxyExchangeTest, TheChildsTrailersGoToAddTrailer) {
  FakeRequest request("GET", "/trailers", {{"Host", "test"}});
  start_h2(request);
  ASSERT_TRUE(request.wait_ended());
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(request.status(), 200);
  EXPECT_EQ(request.body(), "with trailers");
  EXPECT_EQ(request.trailers(), (Headers{{"grpc-status", "0"}, {"grpc-message", "fine"}}));
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].headers["ms-aspnetcore-token"], "h2-token");
  EXPECT_EQ(seen[0].headers["x-forwarded-for"], "127.0.0.1:40000");
  EXPECT_EQ(*errors_logged_, 0);
}

TEST_F(H2ProxyExchangeTest, TheBodyAndItsTrailersReachTheChild) {
  FakeRequest request("POST", "/echo", {{"Host", "test"}, {"Transfer-Encoding", "chunked"}},
                      /*has_body=*/true);
  request.set_request_trailers({{"X-Checksum", "abc"}});
  start_h2(request);
  request.send_body("first ");
  request.send_body("second");
  request.end_body();
  ASSERT_TRUE(request.wait_ended());
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Completed);
  EXPECT_EQ(request.body(), "first second");
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].trailers["x-checksum"], "abc");
  EXPECT_EQ(seen[0].headers.count("transfer-encoding"), 0u);
}

TEST_F(H2ProxyExchangeTest, AResetAfterTheHeadResetsTheClientsRequest) {
  FakeRequest request("GET", "/reset-after-head", {{"Host", "test"}});
  start_h2(request);
  ASSERT_TRUE(request.wait_ended());
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Aborted);
  EXPECT_EQ(request.reset_code(), std::optional<uint32_t>(2));  // INTERNAL_ERROR
  EXPECT_EQ(request.ends(), 1);
}

TEST_F(H2ProxyExchangeTest, AResetBeforeTheHeadIs502) {
  FakeRequest request("GET", "/reset-before-head", {{"Host", "test"}});
  start_h2(request);
  ASSERT_TRUE(request.wait_ended());
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Failed);
  EXPECT_EQ(request.status(), 502);
}

// A child whose SETTINGS do not allow extended CONNECT (this test server's
// do not) never sees the WebSocket: 501, and the reason logged as a warning.
TEST_F(H2ProxyExchangeTest, AWebSocketToAChildWithoutExtendedConnectIs501) {
  auto warnings = std::make_shared<std::vector<std::string>>();
  auto context = std::make_shared<ProxyContext>();
  context->api = context_->api;
  context->host = context_->host;
  context->processes = context_->processes;
  context->pool = context_->pool;
  context->own_threads = context_->own_threads;
  context->h2 = context_->h2;
  context->request_timeout = context_->request_timeout;
  context->log = [warnings](ancm_log_level level, const std::string& line) {
    if (level == ANCM_LOG_WARNING) warnings->push_back(line);
  };
  context_ = context;
  FakeRequest request("CONNECT", "/ws", {{"Host", "test"}, {"Sec-WebSocket-Version", "13"}});
  request.set_connect_protocol("websocket");
  start_h2(request);
  ASSERT_TRUE(request.wait_ended());
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Failed);
  EXPECT_EQ(request.status(), 501);
  EXPECT_TRUE(server_.requests().empty());
  ASSERT_EQ(warnings->size(), 1u);
  EXPECT_NE(warnings->front().find(kWebSocketOverH2cRefused), std::string::npos)
      << warnings->front();
  EXPECT_NE(warnings->front().find("SETTINGS_ENABLE_CONNECT_PROTOCOL"), std::string::npos)
      << warnings->front();
}

TEST_F(H2ProxyExchangeTest, AClientThatGoesAwayCancelsTheStream) {
  FakeRequest request("GET", "/never", {{"Host", "test"}});
  start_h2(request);
  ASSERT_TRUE(test::eventually([&] { return server_.requests().size() == 1; }));
  request.client_goes_away();
  ASSERT_TRUE(request.wait_ended());
  EXPECT_EQ(request.outcome(), FakeRequest::Outcome::Aborted);
  EXPECT_TRUE(test::eventually([&] { return server_.cancels() == 1; }));
  EXPECT_EQ(request.ends(), 1);
  EXPECT_EQ(request.calls_after_end(), 0);
}

}  // namespace
}  // namespace ancm::outofproc
