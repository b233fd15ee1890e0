// Micro-benchmarks of ancm-host's native request path, without a .NET runtime:
//
//   parse        Boost.Beast's request_parser (the type the server uses) on a
//                typical ~300-byte GET
//   request      parse + the native request object the handler sees (method,
//                target, path, query, header spans), as Connection builds it
//   head_add     ResponseHead::add for a handler's usual headers
//   serialize    serialize_head (status line, Date, Server, headers, framing)
//   chunk        OutgoingBody framing one chunk of a response body, as the
//                server writes it (copied behind the head when small,
//                a gather list when large)
//   forwarded    the out-of-process rewrite of the request head
//                (build_forwarded_request: X-Forwarded-*, token, hop-by-hop)
//   native_path  the whole path through the server's real Connection over a
//                loopback TCP pair in this process (tests/support's
//                LoopbackServer, which the front end's unit tests share): bytes in -> Beast parse
//                -> request object -> handler hand-off through ancm_request_api
//                -> response head + body serialised -> bytes out (one thread)
//   worker       (only when ANCM_MICRO_WORKER=host:port is set; `bench/run
//                --micro` does it) keep-alive GETs to a running ancm-host
//                worker serving the test handler: the same path across
//                processes, with the worker's threads and the shim in it
//
// Run: build/bench/micro/ancm_micro_bench (Google Benchmark flags apply).
#include <benchmark/benchmark.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/abi_strings.h"
#include "ancm/handler_abi.h"
#include "forwarded_headers.h"  // outofproc/src
#include "loopback_server.h"    // tests/support
#include "outgoing_body.h"
#include "response_head.h"  // server/src

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

// A typical browser GET (311 bytes).
constexpr std::string_view kGet =
    "GET /api/items?id=42&sort=name HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

using Parser = http::request_parser<http::buffer_body>;  // as in server/src/connection.h

using ancm::abi::str;
using ancm::abi::view;

void parse(Parser& parser) {
  parser.header_limit(32 * 1024);  // the server's defaults (HttpLimits)
  parser.body_limit(30'000'000);
  boost::beast::error_code ec;
  parser.put(asio::buffer(kGet.data(), kGet.size()), ec);
  if (ec || !parser.is_header_done()) throw std::runtime_error("parse failed: " + ec.message());
}

void BM_Parse(benchmark::State& state) {
  for (auto _ : state) {
    Parser parser;
    parse(parser);
    benchmark::DoNotOptimize(parser.get().target().data());
  }
  state.SetBytesProcessed(state.iterations() * kGet.size());
  state.counters["request_bytes"] = static_cast<double>(kGet.size());
}
BENCHMARK(BM_Parse)->Name("parse");

// The native request object as Connection::dispatch_request fills it.
struct NativeRequest {
  ancm_str method{}, target{}, path{}, query{};
  std::vector<ancm_kv> headers;
};

void BM_RequestObject(benchmark::State& state) {
  NativeRequest request;  // reused per connection, like Connection's members
  for (auto _ : state) {
    Parser parser;
    parse(parser);
    const auto& message = parser.get();
    request.method = str(message.method_string());
    request.target = str(message.target());
    std::string_view target = view(request.target);
    auto question = target.find('?');
    request.path = str(target.substr(0, question));
    request.query = question == std::string_view::npos ? ancm_str{target.data() + target.size(), 0}
                                                       : str(target.substr(question + 1));
    request.headers.clear();
    for (const auto& field : message) {
      request.headers.push_back({str(field.name_string()), str(field.value())});
    }
    benchmark::DoNotOptimize(request.headers.data());
  }
  state.SetBytesProcessed(state.iterations() * kGet.size());
}
BENCHMARK(BM_RequestObject)->Name("request");

void add_usual_headers(ancm::server::ResponseHead& head) {
  head.add("Content-Type", "text/plain; charset=utf-8");
  head.add("Content-Length", "12");
  head.add("Cache-Control", "no-cache");
  head.add("X-Request-Id", "0HN7M2QK5V3J1:00000001");
}

void BM_HeadAdd(benchmark::State& state) {
  ancm::server::ResponseHead head;
  for (auto _ : state) {
    head.clear();
    add_usual_headers(head);
    benchmark::DoNotOptimize(head.fields.data());
  }
  state.SetItemsProcessed(state.iterations() * 4);  // headers
}
BENCHMARK(BM_HeadAdd)->Name("head_add");

void BM_SerializeHead(benchmark::State& state) {
  ancm::server::ResponseHead head;
  add_usual_headers(head);
  auto framing =
      state.range(0) ? ancm::server::Framing::Chunked : ancm::server::Framing::ContentLength;
  std::string out;
  for (auto _ : state) {
    out.clear();
    ancm::server::serialize_head(head, framing, 12, true, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.counters["head_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_SerializeHead)->Name("serialize")->ArgName("chunked")->Arg(0)->Arg(1);

void BM_FrameChunk(benchmark::State& state) {
  std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  ancm::server::OutgoingBody body;
  std::string head;
  for (auto _ : state) {
    head.clear();
    body.append(data);
    benchmark::DoNotOptimize(body.begin_write(head, ancm::server::Framing::Chunked, false).data());
    body.end_write();
  }
  state.SetBytesProcessed(state.iterations() * data.size());
}
BENCHMARK(BM_FrameChunk)->Name("chunk")->ArgName("bytes")->Arg(64)->Arg(16 * 1024);

void BM_Forwarded(benchmark::State& state) {
  Parser parser;
  parse(parser);
  ancm::outofproc::ClientRequest client;
  client.method = parser.get().method_string();
  client.target = parser.get().target();
  for (const auto& field : parser.get())
    client.headers.emplace_back(field.name_string(), field.value());
  client.remote_address = "127.0.0.1";
  client.remote_port = 51234;
  client.local_address = "127.0.0.1";
  client.local_port = 8080;
  std::string_view token = "3b0f7e2c-6d1a-4c55-9f0e-0a6c2d9e8b71";
  std::size_t head_bytes = 0;
  for (auto _ : state) {
    auto forwarded = ancm::outofproc::build_forwarded_request(client, token);
    head_bytes = forwarded.head.size();
    benchmark::DoNotOptimize(forwarded.head.data());
  }
  state.SetBytesProcessed(state.iterations() * kGet.size());
  state.counters["head_bytes"] = static_cast<double>(head_bytes);
}
BENCHMARK(BM_Forwarded)->Name("forwarded");

// ---------------------------------------------------------------- native_path

constexpr std::string_view kHello = "Hello World!";

// The handler: what a minimal handler does with the native request. With
// rewrite, it also does the out-of-process handler's per-request native work
// (read the request through the API, rewrite the head) before answering.
struct Sink {
  const ancm_request_api* api = &ancm::test::LoopbackServer::api();
  bool rewrite = false;
  std::size_t forwarded_bytes = 0;

  void operator()(ancm_request* request) {
    if (rewrite) {
      auto client = ancm::outofproc::read_client_request(*api, request);
      auto forwarded = ancm::outofproc::build_forwarded_request(client, "token");
      forwarded_bytes = forwarded.head.size();
    }
    api->set_status(request, 200, {nullptr, 0});
    api->add_header(request, str("Content-Type"), str("text/plain; charset=utf-8"));
    api->write_body(request, kHello.data(), kHello.size(), nullptr, nullptr);
    api->complete(request);
  }
};

// Size of the complete response in buf, or 0 while it is incomplete.
std::size_t complete_response(std::string_view buf) {
  auto end = buf.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  auto head = buf.substr(0, end);
  auto at = head.find("Content-Length: ");
  if (at == std::string_view::npos) throw std::runtime_error("no Content-Length in the response");
  std::size_t length = std::strtoul(head.data() + at + 16, nullptr, 10);
  std::size_t total = end + 4 + length;
  return buf.size() >= total ? total : 0;
}

void BM_NativePath(benchmark::State& state) {
  auto sink = std::make_shared<Sink>();
  sink->rewrite = state.range(0) != 0;
  // Client and server on this thread: the loop below runs the server's turns.
  ancm::test::LoopbackServer server([sink](ancm_request* request) { (*sink)(request); }, {},
                                    ancm::test::LoopbackServer::Threading::Caller);
  asio::io_context& io = server.io();
  tcp::socket client(io);
  client.connect(tcp::endpoint(asio::ip::address_v4::loopback(), server.port()));
  client.set_option(tcp::no_delay(true));
  client.non_blocking(true);

  std::string in;
  std::vector<char> chunk(64 * 1024);
  for (auto _ : state) {
    asio::write(client, asio::buffer(kGet.data(), kGet.size()));
    for (;;) {
      io.run_one_for(std::chrono::milliseconds(1));
      boost::system::error_code ec;
      std::size_t n = client.read_some(asio::buffer(chunk), ec);
      if (!ec)
        in.append(chunk.data(), n);
      else if (ec != asio::error::would_block)
        throw std::runtime_error("read: " + ec.message());
      if (std::size_t done = complete_response(in)) {
        if (in.compare(0, 15, "HTTP/1.1 200 OK") != 0) throw std::runtime_error("not a 200");
        in.erase(0, done);
        break;
      }
    }
  }
  state.SetItemsProcessed(state.iterations());  // requests
  client.close();
  io.run_for(std::chrono::milliseconds(20));  // the connection sees EOF and closes
}
BENCHMARK(BM_NativePath)
    ->Name("native_path")
    ->ArgName("oop_rewrite")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime();

// ---------------------------------------------------------------- worker

void BM_Worker(benchmark::State& state, std::string host, std::string port) {
  asio::io_context io(1);
  tcp::socket socket(io);
  tcp::resolver resolver(io);
  asio::connect(socket, resolver.resolve(host, port));
  socket.set_option(tcp::no_delay(true));
  std::string request = "GET / HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n\r\n";
  std::string in;
  std::vector<char> chunk(64 * 1024);
  for (auto _ : state) {
    asio::write(socket, asio::buffer(request));
    for (;;) {
      in.append(chunk.data(), socket.read_some(asio::buffer(chunk)));
      if (std::size_t done = complete_response(in)) {
        if (in.compare(0, 12, "HTTP/1.1 200") != 0) {
          state.SkipWithError("the worker did not answer 200");
          return;
        }
        in.erase(0, done);
        break;
      }
    }
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* worker = std::getenv("ANCM_MICRO_WORKER"); worker && *worker) {
    std::string address = worker;
    auto colon = address.rfind(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "ANCM_MICRO_WORKER must be host:port\n");
      return 2;
    }
    benchmark::RegisterBenchmark("worker", BM_Worker, address.substr(0, colon),
                                 address.substr(colon + 1))
        ->UseRealTime();
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
