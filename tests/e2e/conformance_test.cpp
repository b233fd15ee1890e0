// What the app observes is what Kestrel gives it: the Conformance app runs
// three ways (under ancm-host in-process, under ancm-host out-of-process, and
// on Kestrel directly), each case drives one server behaviour on raw sockets
// and the three observations must be equal. Kestrel direct is the reference.
// One server of each kind serves the whole suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "host_process.h"
#include "http_client.h"
#include "kestrel_direct.h"
#include "payloads.h"
#include "published_app.h"
#include "temp_dir.h"
#include "wire_summary.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kApp = "Conformance";

// Response fields that legitimately differ: Date (the clock) and Server (the
// server's name: Kestrel, or ancm-host's front end).
const std::set<std::string> kServerOwnFields = {"date", "server"};
// For a body the app did not size, the framing is the server's choice too:
// Kestrel chunks it, IIS (and ancm-host) sends a Content-Length when the app
// ended without flushing, and the body is the same.
const std::set<std::string> kServerOwnFraming = {"date", "server", "content-length",
                                                 "transfer-encoding"};

// A case's observation of one server, as text.
using Observe = std::function<std::string(uint16_t port)>;

struct Case {
  std::string name;
  Observe observe;
  // False where the out-of-process proxy is known to differ (named at the
  // case); in-process is still compared with Kestrel.
  bool out_of_process_too = true;
};

// --------------------------------------------------------------- observing

// Sends the bytes on a new connection and summarises what came back until
// the server closed it (the requests ask for Connection: close).
std::string wire(uint16_t port, const std::string& request, bool head_request = false,
                 const std::set<std::string>& ignored = kServerOwnFraming) {
  HttpConnection connection(port);
  connection.send(request);
  return summarize_wire(connection.read_raw(15s), head_request, ignored);
}

std::string close_request(const std::string& method, const std::string& target,
                          const std::string& fields = "", const std::string& body = "") {
  return method + " " + target + " HTTP/1.1\r\nHost: conformance.test\r\nConnection: close\r\n" +
         fields + "\r\n" + body;
}

std::string events(uint16_t port, const std::string& id) {
  auto response = http_get(port, "/seen?id=" + id);
  return response ? response->body : "no answer from /seen\n";
}

// The app's events for `id` once `last` is among them (or what there is
// after 10 s, which the comparison then shows).
std::string events_until(uint16_t port, const std::string& id, const std::string& last) {
  std::string seen;
  eventually([&] {
    seen = events(port, id);
    return seen.find(last) != std::string::npos;
  });
  return seen;
}

// Lines of `text` in their order, except those starting with a prefix.
std::string without_lines(const std::string& text, const std::vector<std::string>& prefixes) {
  std::string kept;
  size_t at = 0;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end == std::string::npos ? std::string::npos : end + 1 - at);
    bool dropped = std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& prefix) {
      return line.rfind(prefix, 0) == 0;
    });
    if (!dropped) kept += line;
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return kept;
}

// The app's "header <Name>: <value>" lines ordered by name, each field's
// values in their order: Kestrel lists the fields it knows in an order of
// its own (Connection before Host), IIS in another, neither as they came.
std::string with_fields_by_name(const std::string& facts) {
  std::vector<std::string> lines, fields;
  size_t at = 0;
  while (at < facts.size()) {
    auto end = facts.find('\n', at);
    auto line = facts.substr(at, end == std::string::npos ? std::string::npos : end + 1 - at);
    (line.rfind("header ", 0) == 0 ? fields : lines).push_back(line);
    at = end == std::string::npos ? facts.size() : end + 1;
  }
  auto name = [](const std::string& line) {
    auto lowered = line.substr(0, line.find(':'));
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), ::tolower);
    return lowered;
  };
  std::stable_sort(fields.begin(), fields.end(),
                   [&](const auto& a, const auto& b) { return name(a) < name(b); });
  std::string out;
  for (const auto& line : lines) {
    if (line == "\n" || line.rfind("complete", 0) == 0) {
      for (const auto& field : fields) out += field;
      fields.clear();
    }
    out += line;
  }
  for (const auto& field : fields) out += field;
  return out;
}

// What out of process legitimately changes, removed from both sides of that
// comparison (documented ANCM behaviour): the proxy drops hop-by-hop fields
// (Connection), adds X-Forwarded-For/-Proto and MS-ASPNETCORE-TOKEN, which
// the app's IIS integration turns into X-Original-For/-Proto, and forwards
// every request as HTTP/1.1.
std::string proxy_view(const std::string& observed) {
  return without_lines(
      observed, {"header Connection:", "header X-Forwarded-For:", "header X-Forwarded-Proto:",
                 "header MS-ASPNETCORE-TOKEN:", "header X-Original-For:",
                 "header X-Original-Proto:", "protocol: "});
}

// A request whose answer is the app's report (mirror, /body): the wire
// summary with the forwarding fields left out of the reported facts.
Observe report(std::string request) {
  return [request](uint16_t port) { return with_fields_by_name(wire(port, request)); };
}

// framing: the app set the Content-Length, so the wire must carry it.
Observe response_case(const std::string& kind, const std::string& method = "GET",
                      bool app_sized = false) {
  return [kind, method, app_sized](uint16_t port) {
    return wire(port, close_request(method, "/respond?kind=" + kind + "&id=" + kind + method),
                method == "HEAD", app_sized ? kServerOwnFields : kServerOwnFraming);
  };
}

// A response case whose app keeps working after the response: the wire and
// then the app's events up to `last`.
Observe response_and_events(const std::string& kind, const std::string& last) {
  return [kind, last](uint16_t port) {
    // Sequenced: the events come after the response.
    auto answer = wire(port, close_request("GET", "/respond?kind=" + kind + "&id=" + kind));
    return answer + "events:\n" + events_until(port, kind, last);
  };
}

// Two requests on one keep-alive connection, the first with `first`'s
// bytes: both answers (or that the server closed the connection).
Observe keep_alive_after(std::string first) {
  return [first](uint16_t port) {
    HttpConnection connection(port);
    connection.send(first);
    std::string seen;
    auto answer = connection.read_response(15s);
    seen +=
        answer ? "first: " + std::to_string(answer->status) + "\n" + answer->body : "first: none\n";
    connection.send("GET /mirror/second HTTP/1.1\r\nHost: conformance.test\r\n\r\n");
    auto second = connection.read_response(15s);
    seen += second ? "second: " + std::to_string(second->status) + "\n" : "second: none\n";
    return seen;
  };
}

std::string post(const std::string& target, const std::string& body,
                 const std::string& fields = "") {
  return close_request("POST", target,
                       fields + "Content-Length: " + std::to_string(body.size()) + "\r\n", body);
}

std::string chunked(const std::string& target, const std::string& chunks,
                    const std::string& fields = "") {
  return close_request("POST", target, fields + "Transfer-Encoding: chunked\r\n", chunks);
}

// `body` as chunks of `piece` bytes, without the last chunk.
std::string chunks_of(const std::string& body, size_t piece) {
  std::string out;
  for (size_t at = 0; at < body.size(); at += piece) {
    auto part = body.substr(at, piece);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", part.size());
    out += std::string(size) + "\r\n" + part + "\r\n";
  }
  return out;
}

std::string letters(size_t size) {
  std::string text(size, 'a');
  for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
  return text;
}

// ------------------------------------------------------------------- cases

std::vector<Case> feature_cases() {
  return {
      // The features the three agree on. Not compared: IHttpExtendedConnectFeature,
      // which Kestrel offers and IIS's in-process server does not (in-process
      // follows IIS: an app must not find a feature IIS would not give it).
      {"FeaturesPresent",
       [](uint16_t port) {
         auto listed = wire(port, close_request("GET", "/features"));
         std::string kept;
         for (const char* name :
              {"IHttpRequestFeature:", "IHttpResponseFeature:", "IHttpResponseBodyFeature:",
               "IHttpConnectionFeature:", "IHttpRequestLifetimeFeature:",
               "IHttpRequestIdentifierFeature:", "IHttpMaxRequestBodySizeFeature:",
               "IHttpBodyControlFeature:", "IHttpUpgradeFeature:",
               "IHttpRequestBodyDetectionFeature:", "IRequestBodyPipeFeature:",
               "IHttpRequestTrailersFeature:", "IHttpResponseTrailersFeature:",
               "ITlsConnectionFeature:", "IHttpResetFeature:", "IHttpWebSocketFeature:"}) {
           auto at = listed.find(name);
           kept += at == std::string::npos ? std::string(name) + " not listed\n"
                                           : listed.substr(at, listed.find('\n', at) + 1 - at);
         }
         return kept;
       }},
      {"SynchronousIoIsOffByDefault", report(close_request("GET", "/sync-io"))},
      {"PlainGet", report(close_request("GET", "/mirror/plain?a=1&b=two"))},
      {"EmptyQuery", report(close_request("GET", "/mirror?"))},
      {"HeadersMultiValuedCaseAndOrder",
       report(close_request("GET", "/mirror",
                            "X-Multi: one\r\nx-multi: two\r\nX-CASE: Upper\r\nx-lower: lower\r\n"
                            "Accept: a\r\nX-Empty:\r\nX-Spaces:   padded   \r\n"
                            "Cookie: a=1\r\nCookie: b=2\r\n"))},
      {"EncodedSlash", report(close_request("GET", "/mirror/a%2Fb"))},
      {"EncodedSpace", report(close_request("GET", "/mirror/a%20b?q=a%20b&r=a+b"))},
      {"DotSegments", report(close_request("GET", "/mirror/a/../b/./c"))},
      {"EncodedDotSegments", report(close_request("GET", "/mirror/a/%2E%2E/b"))},
      {"DoubleSlashes", report(close_request("GET", "//mirror//a//b"))},
      {"PercentEncodedUtf8", report(close_request("GET", "/mirror/caf%C3%A9"))},
      {"EncodedPercent", report(close_request("GET", "/mirror/100%25"))},
      {"AbsoluteForm", report(close_request("GET", "http://conformance.test/mirror/absolute?x"))},
      {"Http10WithHost", report("GET /mirror/ten HTTP/1.0\r\nHost: conformance.test\r\n\r\n")},
      {"PostContentLengthZero", report(post("/mirror/post", ""))},
      {"PutWithBody", report(close_request("PUT", "/mirror/put", "Content-Length: 3\r\n", "abc"))},
      {"DeleteWithoutBody", report(close_request("DELETE", "/mirror/delete"))},
      {"ChunkedPost", report(chunked("/mirror/chunked", "3\r\nabc\r\n0\r\n\r\n"))},
      {"OptionsRequest", report(close_request("OPTIONS", "/mirror/options"))},
      {"CustomMethod", report(close_request("PURGE", "/mirror/custom"))},
      {"UpgradeRequestWithoutBody",
       report(
           close_request("GET", "/mirror/upgrade", "Connection: Upgrade\r\nUpgrade: custom\r\n"))},
  };
}

std::vector<Case> body_cases() {
  const std::string mebibyte = letters(1024 * 1024);
  return {
      {"BodyNone", report(close_request("GET", "/body?read=stream"))},
      {"BodyContentLengthZero", report(post("/body?read=stream", ""))},
      {"BodySmall", report(post("/body?read=stream", "small body"))},
      {"BodyOneMebibyte", report(post("/body?read=stream", mebibyte))},
      {"BodyOneMebibyteThroughThePipe", report(post("/body?read=pipe", mebibyte))},
      {"BodyChunkedInManySmallChunks",
       report(chunked("/body?read=stream", chunks_of(letters(100'000), 7) + "0\r\n\r\n"))},
      {"BodyChunkedThroughThePipe",
       report(chunked("/body?read=pipe", chunks_of(letters(5000), 100) + "0\r\n\r\n"))},
      {"BodyChunkedWithExtensions",
       report(chunked("/body?read=stream", "3;name=value\r\nabc\r\n2;flag\r\nde\r\n0\r\n\r\n"))},
      {"BodyForm", report(post("/body?read=form", "a=1&b=two&a=3",
                               "Content-Type: application/x-www-form-urlencoded\r\n"))},
      {"BodyChunkedForm", report(chunked("/body?read=form", chunks_of("x=%20y&z=", 3) + "0\r\n\r\n",
                                         "Content-Type: application/x-www-form-urlencoded\r\n"))},
      {"BodyHttp10WithContentLength",
       report("POST /body?read=stream HTTP/1.0\r\nContent-Length: 4\r\n\r\nten!")},
      {"RequestTrailersOfAChunkedBody",
       report(
           chunked("/request-trailers?read=stream",
                   "3\r\nabc\r\n0\r\nX-Trailer: one\r\nx-other: two\r\nX-Trailer: again\r\n\r\n"))},
      {"RequestTrailersNoneSent",
       report(chunked("/request-trailers?read=stream", "3\r\nabc\r\n0\r\n\r\n"))},
      {"RequestTrailersBeforeTheBodyIsRead",
       report(chunked("/request-trailers?read=none", "3\r\nabc\r\n0\r\nX-Trailer: one\r\n\r\n"))},
      {"RequestTrailersOfASizedBody", report(post("/request-trailers?read=stream", "abc"))},
      {"RequestTrailersWithoutABody",
       report(close_request("GET", "/request-trailers?read=stream"))},
      {"BodyPartlyReadThenKeepAlive",
       keep_alive_after("POST /body?read=partial&limit=10 HTTP/1.1\r\nHost: conformance.test\r\n"
                        "Content-Length: 1000\r\n\r\n" +
                        letters(1000))},
      {"BodyNotReadThenKeepAlive",
       keep_alive_after("POST /body?read=none HTTP/1.1\r\nHost: conformance.test\r\n"
                        "Content-Length: 1000\r\n\r\n" +
                        letters(1000))},
      {"ChunkedBodyNotReadThenKeepAlive",
       keep_alive_after("POST /body?read=none HTTP/1.1\r\nHost: conformance.test\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n" +
                        chunks_of(letters(1000), 100) + "0\r\n\r\n")},
  };
}

std::vector<Case> response_cases() {
  return {
      {"ResponseContentLength", response_case("content-length", "GET", true)},
      {"ResponseContentLengthHead", response_case("content-length", "HEAD", true)},
      {"ResponseUnsized", response_case("unsized")},
      {"ResponseUnsizedHead", response_case("unsized", "HEAD")},
      {"ResponseEmpty", response_case("empty")},
      {"ResponseEmptyWithLength", response_case("empty-with-length", "GET", true)},
      {"Response204", response_case("204")},
      {"Response304", response_case("304")},
      {"ResponseStartThenWrite", response_and_events("start-then-write", "hasStarted")},
      {"Response204WithABody", response_and_events("204-with-body", "write:")},
      {"ResponseLongerThanItsLength", response_and_events("content-length-too-long", "write:")},
      {"ResponseCompleteThenKeepRunning",
       response_and_events("complete-then-run", "still running")},
      {"ResponseFlushFirst", response_case("flush-first")},
      {"ResponseBodyThenFlush", response_case("body-then-flush")},
      {"ResponseManySmallWrites", response_case("many-small-writes")},
      {"ResponsePipeWriter", response_case("pipe-writer")},
      {"ResponseShorterThanItsLength", response_and_events("content-length-too-short", "write:")},
      {"ResponseHeadersAfterStart", response_and_events("headers-after-start", "set status")},
      {"CallbacksOrder", response_and_events("callbacks", "OnCompleted first registered")},
      {"OnCompletedThrows", response_and_events("on-completed-throws", "registered first ran")},
      {"ThrowBeforeTheHead", response_case("throw-before-head")},
      {"ThrowAfterTheHead", response_case("throw-after-head")},
      {"ThrowAfterASizedHead", response_case("throw-after-sized-head", "GET", true)},
      {"OnStartingThrows", response_and_events("on-starting-throws", "write:")},
      {"WriteInOnStarting", response_and_events("write-in-on-starting", "after write")},
      {"PipeWriterInOnStarting", response_and_events("pipe-writer-in-on-starting", "after write")},
      {"TrailersDeclared", response_and_events("trailers", "supportsTrailers")},
  };
}

// The client sends request, waits until the app logged `started` for id, and
// goes: what the app saw, up to `last`.
std::string client_gone(uint16_t port, const std::string& request, const std::string& id,
                        const std::string& started, const std::string& last) {
  HttpConnection client(port);
  client.send(request);
  events_until(port, id, started);
  client.close();
  return events_until(port, id, last);
}

std::vector<Case> abort_cases() {
  return {
      {"ClientGoneBeforeTheBody",
       [](uint16_t port) {
         return client_gone(
             port,
             "POST /wait-body?id=gone-before HTTP/1.1\r\nHost: c\r\nContent-Length: 10\r\n\r\n",
             "gone-before", "waiting", "RequestAborted fired");
       }},
      {"ClientGoneMidBody",
       [](uint16_t port) {
         return client_gone(
             port,
             "POST /wait-body?id=gone-mid HTTP/1.1\r\nHost: c\r\nContent-Length: 10\r\n\r\nhalf",
             "gone-mid", "waiting", "RequestAborted fired");
       }},
      {"ClientGoneDuringALongWrite",
       [](uint16_t port) {
         return client_gone(port, get_request("/long-write?id=long-write"), "long-write", "writing",
                            "RequestAborted:");
       }},
  };
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (auto group : {feature_cases(), body_cases(), response_cases(), abort_cases()})
    cases.insert(cases.end(), group.begin(), group.end());
  return cases;
}

// ------------------------------------------------------------------ servers

struct Servers {
  TempDir in_process_dir{"ancm-conformance-in"};
  TempDir out_of_process_dir{"ancm-conformance-out"};
  TempDir kestrel_dir{"ancm-conformance-kestrel"};
  std::unique_ptr<HostProcess> in_process, out_of_process;
  std::unique_ptr<KestrelDirect> kestrel;
};

std::unique_ptr<HostProcess> serve(const TempDir& dir, const std::string& hosting_model) {
  AspNetCoreEdit edit;
  edit.hosting_model = hosting_model;
  install_app(kApp, dir.path(), edit);
  HostOptions options;
  options.target = dir.path();
  // One loop thread: connections run without a strand (SerialExecutor's
  // single-thread mode), as on a one-CPU machine; most other e2e tests get one
  // thread per CPU, and strands.
  options.extra_args = {"--threads", "1"};
  return std::make_unique<HostProcess>(options);
}

class ConformanceTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    servers_ = std::make_unique<Servers>();
    servers_->in_process = serve(servers_->in_process_dir, "inprocess");
    servers_->out_of_process = serve(servers_->out_of_process_dir, "outofprocess");
    install_app(kApp, servers_->kestrel_dir.path(), {});
    servers_->kestrel = std::make_unique<KestrelDirect>(servers_->kestrel_dir.path(), kApp);
  }
  static void TearDownTestSuite() { servers_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(servers_->in_process->started()) << servers_->in_process->output();
    ASSERT_TRUE(servers_->out_of_process->started()) << servers_->out_of_process->output();
    // The first request also waits for each app to start.
    for (uint16_t port : {servers_->in_process->port(), servers_->out_of_process->port(),
                          servers_->kestrel->port()}) {
      ASSERT_TRUE(eventually([&] { return http_get(port, "/seen?id=ready").has_value(); }, 60s))
          << "nothing answers on port " << port << "\n"
          << servers_->in_process->output() << servers_->out_of_process->output();
    }
    for (const auto* host : {servers_->in_process.get(), servers_->out_of_process.get()}) {
      ASSERT_TRUE(host->wait_for_output("on 1 thread(s)", 10s)) << host->output();
    }
  }

  static std::unique_ptr<Servers> servers_;
};

std::unique_ptr<Servers> ConformanceTest::servers_;

void PrintTo(const Case& value, std::ostream* out) { *out << value.name; }

TEST_P(ConformanceTest, AppObservesWhatKestrelGivesIt) {
  const auto& observe = GetParam().observe;
  auto kestrel = observe(servers_->kestrel->port());
  auto in_process = observe(servers_->in_process->port());
  EXPECT_EQ(in_process, kestrel) << "in-process differs from Kestrel";
  if (!GetParam().out_of_process_too) return;
  auto out_of_process = observe(servers_->out_of_process->port());
  EXPECT_EQ(proxy_view(out_of_process), proxy_view(kestrel))
      << "out-of-process differs from Kestrel";
}

INSTANTIATE_TEST_SUITE_P(Cases, ConformanceTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ancm::test
