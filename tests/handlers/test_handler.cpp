// A handler library for the server and shim tests. It implements the same C
// ABI as libancm_inproc.so / libancm_outofproc.so and answers a few
// endpoints that exercise the native request object:
//   /                     "Hello from <name>"
//   /echo                 streams the request body back
//   /slow?ms=N            answers after N ms (from another thread)
//   /stream?chunks=N&ms=M writes N pieces M ms apart
//   /status?code=N        answers with that status
//   /request              describes the request (method, target, headers, peer)
//   /env?name=X           a web.config environment variable's value
//   /setting?name=X       a resolved setting's value
//   /pid                  the worker's pid
//   /in-flight            how many other requests this application is answering
//   /fail?status=S&sub=N  reports a failure for the shim to render
//   /crash                aborts the worker
//   /fail-later           reports a 502.5 through host->fail_request, later
//   /abort                sends part of a body, then aborts the response
//   /upgrade              101, then echoes the raw stream until the client ends it
//   /declared?length=N&write=M  announces Content-Length N, writes M bytes ("x")
//   /stale?keep           answers and keeps the request handle past complete()
//   /stale?use            calls the kept (stale) handle, then answers with what
//                         each call returned; the kept handle's writes say "STALE"
// TEST_HANDLER_FAIL_CREATE="S.N" in the web.config environment makes
// create_application fail with that code.
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "ancm/abi_strings.h"
#include "ancm/handler_abi.h"
#include "ancm/handler_glue.h"

#ifndef TEST_HANDLER_NAME
#define TEST_HANDLER_NAME "test-handler"
#endif

namespace {

using Clock = std::chrono::steady_clock;

using ancm::abi::str;
using ancm::abi::to_string;

std::string query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

int to_int(const std::string& s, int fallback) {
  int value = fallback;
  std::from_chars(s.data(), s.data() + s.size(), value);
  return value;
}

// Runs jobs at a given time on one thread.
class Scheduler {
 public:
  Scheduler() : thread_([this](std::stop_token stop) { run(stop); }) {}
  ~Scheduler() {
    thread_.request_stop();
    wake_.notify_all();
  }
  void at(Clock::time_point when, std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push({when, sequence_++, std::move(job)});
    }
    wake_.notify_all();
  }

 private:
  struct Job {
    Clock::time_point when;
    unsigned long sequence;
    std::function<void()> fn;
    bool operator>(const Job& other) const {
      return when != other.when ? when > other.when : sequence > other.sequence;
    }
  };
  void run(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
      if (jobs_.empty()) {
        wake_.wait(lock, stop, [this] { return !jobs_.empty(); });
        continue;
      }
      if (Clock::now() < jobs_.top().when) {
        wake_.wait_until(lock, stop, jobs_.top().when, [] { return false; });
        continue;
      }
      auto job = jobs_.top().fn;
      jobs_.pop();
      lock.unlock();
      job();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::priority_queue<Job, std::vector<Job>, std::greater<>> jobs_;
  unsigned long sequence_ = 0;
  std::jthread thread_;  // last: joins before the rest goes
};

struct TestApp : ancm::abi::HandlerApplication, std::enable_shared_from_this<TestApp> {
  ancm_result handle_request(ancm_request* request, ancm_failure* failure) override;
  void stop(bool server_initiated) override;
  void on_released() override;

  const ancm_request_api* api = nullptr;
  const ancm_host_services* host = nullptr;
  std::map<std::string, std::string> environment;
  std::map<std::string, std::string> settings;
  std::atomic<int> in_flight{0};
  std::atomic<ancm_request*> kept{nullptr};  // /stale?keep: a handle kept past complete()
  Scheduler scheduler;

  void log(ancm_log_level level, const std::string& message) const {
    ancm::abi::host_log(host, level, message);
  }
};

// Sends a whole small response.
void respond(const ancm_request_api& api, ancm_request* request, int status, std::string body,
             const char* type = "text/plain; charset=utf-8") {
  api.set_status(request, status, {nullptr, 0});
  api.add_header(request, str("Content-Type"), str(type));
  api.write_body(request, body.data(), body.size(), nullptr, nullptr);
  api.complete(request);
}

// Streams the request body back in pieces: read, write, wait, read again.
struct Echo {
  std::shared_ptr<TestApp> app;
  ancm_request* request;
  std::vector<char> buffer = std::vector<char>(64 * 1024);

  static void start(std::shared_ptr<TestApp> app, ancm_request* request) {
    auto echo = std::make_unique<Echo>(Echo{std::move(app), request});
    echo->app->api->set_status(request, 200, {nullptr, 0});
    echo->app->api->add_header(request, str("Content-Type"), str("application/octet-stream"));
    echo.release()->read();
  }
  void read() { app->api->read_body(request, buffer.data(), buffer.size(), &Echo::on_read, this); }
  static void on_read(void* ctx, int status, size_t bytes) {
    std::unique_ptr<Echo> self(static_cast<Echo*>(ctx));
    if (status < 0 || bytes == 0) {
      self->app->api->complete(self->request);
      self->app->in_flight--;
      return;
    }
    auto* raw = self.release();
    raw->app->api->write_body(raw->request, raw->buffer.data(), bytes, &Echo::on_written, raw);
  }
  static void on_written(void* ctx, int status, size_t) {
    std::unique_ptr<Echo> self(static_cast<Echo*>(ctx));
    if (status < 0) {
      self->app->api->complete(self->request);
      self->app->in_flight--;
      return;
    }
    self.release()->read();
  }
};

// Answers 101 and echoes the raw stream back until the client ends it.
struct StreamEcho {
  std::shared_ptr<TestApp> app;
  ancm_request* request;
  ancm_stream* stream = nullptr;
  std::vector<char> buffer = std::vector<char>(16 * 1024);

  static void start(std::shared_ptr<TestApp> app, ancm_request* request) {
    const auto& api = *app->api;
    api.set_status(request, 101, {nullptr, 0});
    api.add_header(request, str("Upgrade"), str("echo"));
    api.add_header(request, str("Connection"), str("Upgrade"));
    auto echo = std::make_unique<StreamEcho>(StreamEcho{std::move(app), request});
    api.upgrade(request, &StreamEcho::on_upgraded, echo.release());
  }
  static void on_upgraded(void* ctx, ancm_stream* stream) {
    auto* self = static_cast<StreamEcho*>(ctx);
    self->app->api->complete(self->request);
    self->app->in_flight--;
    if (!stream) {
      std::unique_ptr<StreamEcho> done(self);
      return;
    }
    self->stream = stream;
    self->read();
  }
  void read() {
    app->api->stream_read(stream, buffer.data(), buffer.size(), &StreamEcho::on_read, this);
  }
  static void on_read(void* ctx, int status, size_t bytes) {
    auto* self = static_cast<StreamEcho*>(ctx);
    if (status < 0 || bytes == 0) return self->close();
    self->app->api->stream_write(self->stream, self->buffer.data(), bytes, &StreamEcho::on_written,
                                 self);
  }
  static void on_written(void* ctx, int status, size_t) {
    auto* self = static_cast<StreamEcho*>(ctx);
    if (status < 0) return self->close();
    self->read();
  }
  void close() {
    std::unique_ptr<StreamEcho> done(this);
    app->api->stream_close(stream);
  }
};

std::string describe_request(const ancm_request_api& api, ancm_request* request) {
  std::string out;
  out += "method=" + to_string(api.method(request)) + "\n";
  out += "target=" + to_string(api.target(request)) + "\n";
  out += "path=" + to_string(api.path(request)) + "\n";
  out += "query=" + to_string(api.query(request)) + "\n";
  out += "version=" + std::to_string(api.http_version(request)) + "\n";
  out += "remote=" + to_string(api.remote_address(request)) + ":" +
         std::to_string(api.remote_port(request)) + "\n";
  out += "has_body=" + std::to_string(api.has_body(request)) + "\n";
  const ancm_kv* headers = api.headers(request);
  for (size_t i = 0; i < api.header_count(request); ++i) {
    out += "header:" + to_string(headers[i].name) + "=" + to_string(headers[i].value) + "\n";
  }
  return out;
}

// What tls_info says (GET /tls): "tls=-2" (-ENOENT) over cleartext.
std::string describe_tls(const ancm_request_api& api, ancm_request* request) {
  std::string out = "is_tls=" + std::to_string(api.is_tls(request)) + "\n";
  if (!ANCM_ABI_HAS(ancm_request_api, &api, tls_info)) return out + "tls=unsupported\n";
  ancm_tls_info info{};
  int status = api.tls_info(request, &info);
  out += "tls=" + std::to_string(status) + "\n";
  if (status != 0) return out;
  out += "protocol=" + to_string(info.protocol) + "\n";
  out += "cipher=" + to_string(info.cipher) + "\n";
  out += "alpn=" + to_string(info.alpn) + "\n";
  out += "server_name=" + to_string(info.server_name) + "\n";
  out += "client_certificate_bytes=" + std::to_string(info.client_certificate_len) + "\n";
  return out;
}

// Scheduler jobs hold a plain pointer: release() waits for in_flight to reach
// zero before the app (and the scheduler thread) go, and a job must never
// drop the last reference on the scheduler's own thread.
void stream_piece(TestApp* app, ancm_request* request, int left, int ms) {
  if (left == 0) {
    app->api->complete(request);
    app->in_flight--;
    return;
  }
  std::string piece = "piece " + std::to_string(left) + "\n";
  app->api->write_body(request, piece.data(), piece.size(), nullptr, nullptr);
  app->api->flush(request, nullptr, nullptr);
  app->scheduler.at(Clock::now() + std::chrono::milliseconds(ms),
                    [app, request, left, ms] { stream_piece(app, request, left - 1, ms); });
}

// Writes one byte at a time, however many the announced length allows: the
// server sends no more than it announced.
void write_declared(const ancm_request_api& api, ancm_request* request, const std::string& length,
                    int count) {
  api.add_header(request, str("Content-Length"), str(length));
  static const char byte = 'x';
  for (int i = 0; i < count; ++i) api.write_body(request, &byte, 1, nullptr, nullptr);
  api.complete(request);
}

// Uses a handle whose request ended (a handler bug the server must refuse),
// during another request on the same connection, which it answers with what
// the stale calls returned once the stale write's callback ran.
void use_stale_handle(TestApp* app, ancm_request* current) {
  const ancm_request_api& api = *app->api;
  ancm_request* stale = app->kept.load();
  if (!stale) {
    respond(api, current, 500, "nothing kept\n");
    app->in_flight--;
    return;
  }
  struct Report {
    TestApp* app;
    ancm_request* current;
    std::string text;
  };
  auto report = std::make_unique<Report>(Report{app, current, {}});
  report->text += "set_status=" + std::to_string(api.set_status(stale, 500, str("STALE"))) + "\n";
  report->text +=
      "add_header=" + std::to_string(api.add_header(stale, str("X-Stale"), str("STALE"))) + "\n";
  report->text += "path=" + to_string(api.path(stale)) + "\n";
  api.complete(stale);
  api.abort(stale);
  static const std::string body = "STALE";
  api.write_body(
      stale, body.data(), body.size(),
      [](void* ctx, int status, size_t) {
        std::unique_ptr<Report> done(static_cast<Report*>(ctx));
        done->text += "write=" + std::to_string(status) + "\n";
        respond(*done->app->api, done->current, 200, done->text);
        done->app->in_flight--;
      },
      report.release());
}

std::shared_ptr<ancm::abi::HandlerApplication> create(const ancm_app_params& params,
                                                      ancm_failure* failure) {
  auto app = std::make_shared<TestApp>();
  app->api = params.request_api;
  app->host = params.host;
  for (size_t i = 0; i < params.environment_count; ++i) {
    app->environment[to_string(params.environment[i].name)] =
        to_string(params.environment[i].value);
  }
  for (size_t i = 0; i < params.settings_count; ++i) {
    app->settings[to_string(params.settings[i].name)] = to_string(params.settings[i].value);
  }
  if (auto fail = app->environment.find("TEST_HANDLER_FAIL_CREATE");
      fail != app->environment.end()) {
    thread_local std::string reason, detail;
    auto dot = fail->second.find('.');
    failure->status = to_int(fail->second.substr(0, dot), 500);
    failure->substatus = dot == std::string::npos ? 0 : to_int(fail->second.substr(dot + 1), 0);
    reason = "the test handler was told to fail (" + fail->second + ")";
    detail = "captured output of the test application <stdout>";
    failure->reason = str(reason);
    failure->detail = str(detail);
    return nullptr;
  }
  app->log(ANCM_LOG_INFO, std::string(TEST_HANDLER_NAME) + " application created for " +
                              to_string(params.app_path));
  return app;
}

ancm_result TestApp::handle_request(ancm_request* request, ancm_failure* failure) {
  auto app = shared_from_this();
  const ancm_request_api& api = *app->api;
  std::string path = to_string(api.path(request));
  std::string query = to_string(api.query(request));
  app->in_flight++;
  if (path == "/echo") {
    Echo::start(app, request);
    return ANCM_OK;
  }
  if (path == "/slow") {
    int ms = to_int(query_value(query, "ms"), 1000);
    app->scheduler.at(Clock::now() + std::chrono::milliseconds(ms), [a = app.get(), request] {
      respond(*a->api, request, 200, "slow done\n");
      a->in_flight--;
    });
    return ANCM_OK;
  }
  if (path == "/stream") {
    int chunks = to_int(query_value(query, "chunks"), 3);
    int ms = to_int(query_value(query, "ms"), 200);
    api.set_status(request, 200, {nullptr, 0});
    api.add_header(request, str("Content-Type"), str("text/plain"));
    stream_piece(app.get(), request, chunks, ms);
    return ANCM_OK;
  }
  if (path == "/fail") {
    thread_local std::string reason;
    reason = "the test handler failed this request on purpose";
    failure->status = to_int(query_value(query, "status"), 502);
    failure->substatus = to_int(query_value(query, "sub"), 5);
    failure->reason = str(reason);
    failure->detail = str("output <of> the app");
    app->in_flight--;
    return ANCM_FAILED;
  }
  if (path == "/crash") std::abort();
  if (path == "/fail-later") {
    app->scheduler.at(Clock::now() + std::chrono::milliseconds(50), [a = app.get(), request] {
      static const std::string reason = "the test handler failed this request later";
      ancm_failure later{502, 5, str(reason), {nullptr, 0}};
      a->host->fail_request(a->host->ctx, request, &later);
      a->in_flight--;
    });
    return ANCM_OK;
  }
  if (path == "/abort") {
    api.set_status(request, 200, {nullptr, 0});
    static const std::string part = "part of a body";
    api.write_body(request, part.data(), part.size(), nullptr, nullptr);
    api.flush(request, nullptr, nullptr);
    app->scheduler.at(Clock::now() + std::chrono::milliseconds(100), [a = app.get(), request] {
      a->api->abort(request);
      a->in_flight--;
    });
    return ANCM_OK;
  }
  if (path == "/upgrade") {
    StreamEcho::start(app, request);
    return ANCM_OK;
  }
  if (path == "/stale") {
    if (query == "keep") {
      respond(api, request, 200, "kept\n");
      app->kept = request;
      app->in_flight--;
    } else {
      use_stale_handle(app.get(), request);
    }
    return ANCM_OK;
  }
  if (path == "/declared") {
    write_declared(api, request, query_value(query, "length"),
                   to_int(query_value(query, "write"), 0));
    app->in_flight--;
    return ANCM_OK;
  }

  std::string body;
  int status = 200;
  if (path == "/") {
    body = std::string("Hello from ") + TEST_HANDLER_NAME + "\n";
  } else if (path == "/status") {
    status = to_int(query_value(query, "code"), 200);
    body = "status " + std::to_string(status) + "\n";
  } else if (path == "/request") {
    body = describe_request(api, request);
  } else if (path == "/tls") {
    body = describe_tls(api, request);
  } else if (path == "/pipe-pieces") {
    // Whether the connection takes body pieces from a pipe: 0, or -EOPNOTSUPP.
    body = std::to_string(api.write_body_from_pipe(request, -1, 0, nullptr, nullptr));
  } else if (path == "/env") {
    auto found = app->environment.find(query_value(query, "name"));
    body = found == app->environment.end() ? "(unset)" : found->second;
  } else if (path == "/setting") {
    auto found = app->settings.find(query_value(query, "name"));
    body = found == app->settings.end() ? "(unset)" : found->second;
  } else if (path == "/pid") {
    body = std::to_string(::getpid());
  } else if (path == "/in-flight") {
    body = std::to_string(app->in_flight - 1);  // not counting this one
  } else {
    status = 404;
    body = "not found: " + path + "\n";
  }
  // Counted out before the answer leaves: a client's next request must never
  // see this one as still in flight.
  app->in_flight--;
  respond(api, request, status, body);
  return ANCM_OK;
}

void TestApp::stop(bool server_initiated) {
  log(ANCM_LOG_INFO, std::string(TEST_HANDLER_NAME) + " stopping (" +
                         (server_initiated ? "host" : "application") + ")");
}

// Lets requests on the scheduler finish before it goes (bounded).
void TestApp::on_released() {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (in_flight > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

ANCM_HANDLER_ENTRY(TEST_HANDLER_NAME, create)
