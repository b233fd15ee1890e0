// The out-of-process proxy's reading of a child's response, over arbitrary
// bytes. ProxyExchange (outofproc/src/proxy_exchange.cpp) reads it with
// Beast's response_parser<buffer_body>, body_limit none, skip() for a HEAD
// request, interim 1xx responses skipped, and parse_buffered_body() to parse
// what already arrived after each read. Its parsing is woven into its I/O, so
// this target drives the same parser configuration through the same steps
// (marked "ProxyExchange::..." below), with Beast's synchronous reads, which
// take the same steps as the asynchronous ones, over a stream that arrives in
// reads, and a body read into buffers, split where the input says
// (support/split_input.h).
//
// It checks what the proxy relies on: no crash or sanitizer report; a body
// never larger than what the child sent, nor a buffer overrun (each body
// buffer is its own exact-size allocation, which AddressSanitizer guards);
// every step makes progress (the proxy would otherwise spin); a finished
// response is framed as it says (Content-Length, nothing for HEAD, no
// keep-alive when only end of file ends it); and the same outcome, status,
// body and keep-alive as when all the bytes arrive in one read into one
// buffer: the split must not change the answer.
//
// Input flags: bit 0 the request was HEAD; bit 1 the request asked for an
// upgrade (a 101 then hands the connection to the WebSocket tunnel).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "body_piece.h"
#include "fuzz_check.h"
#include "split_input.h"

namespace {

namespace http = boost::beast::http;
using ancm::fuzz::SizeSchedule;
using ancm::fuzz::SplitInput;
using ancm::fuzz::SplitReadStream;
using boost::system::error_code;
using Parser = http::response_parser<http::buffer_body>;

// UpstreamConnection::kIdleBuffer: what the proxy reserves before the head.
constexpr std::size_t kFirstPiece = 4 * 1024;

enum class End { Failed, Done, Upgraded };

struct Outcome {
  End end = End::Failed;
  unsigned status = 0;
  std::string body;
  bool keep_alive = false;
  bool need_eof = false;
  bool chunked = false;
  std::optional<std::uint64_t> content_length;
  bool pooled = false;  // what finish_if_done would decide about the connection
};

void require(bool condition, const char* what) {
  ancm::fuzz::require(condition, "upstream_response_fuzz", what);
}

// ProxyExchange::new_response_parser.
void new_response_parser(std::optional<Parser>& parser, bool is_head) {
  parser.emplace();
  parser->body_limit(boost::none);
  parser->skip(is_head);
}

// ProxyExchange::parse_buffered_body: parse what already arrived, no I/O.
error_code parse_buffered_body(Parser& parser, boost::beast::flat_buffer& input) {
  const auto& body = parser.get().body();
  while (!parser.is_done() && input.size() > 0 && body.size > 0) {
    error_code ec;
    std::size_t used = parser.put(input.data(), ec);
    input.consume(used);
    if (ec == http::error::need_more || ec == http::error::need_buffer) return {};
    if (ec) return ec;
    if (used == 0) return {};
  }
  return {};
}

Outcome finished(const Parser& parser, const boost::beast::flat_buffer& input, Outcome out) {
  out.end = End::Done;
  out.keep_alive = parser.keep_alive();
  out.need_eof = parser.need_eof();
  out.chunked = parser.chunked();
  if (auto length = parser.content_length()) out.content_length = *length;
  // ProxyExchange::finish_if_done (the request side assumed sent).
  out.pooled = out.keep_alive && input.size() == 0;
  return out;
}

// The proxy's steps from sending the head to the end of the response.
Outcome read_response(const SplitInput& in, SizeSchedule reads, SizeSchedule pieces) {
  const bool is_head = in.flag(0);
  const bool is_upgrade = in.flag(1);
  SplitReadStream stream(in.stream, reads);
  boost::beast::flat_buffer input;
  std::optional<Parser> parser;
  Outcome out;
  error_code ec;

  // ProxyExchange::send_head, read_response_head, on_response_head: interim
  // responses are read past. Each one consumes input, so this ends.
  input.reserve(kFirstPiece);
  for (;;) {
    new_response_parser(parser, is_head);
    http::read_header(stream, input, *parser, ec);
    if (ec) return out;
    out.status = parser->get().result_int();
    if (out.status < 100 || out.status >= 200 || out.status == 101) break;
  }
  if (out.status == 101 && is_upgrade) {
    out.end = End::Upgraded;
    return out;
  }
  if (parser->is_done()) return finished(*parser, input, std::move(out));

  // ProxyExchange::read_response_body and on_response_body.
  const std::size_t limit = in.stream.size() * 2 + 16;
  for (std::size_t step = 0;; ++step) {
    require(step <= limit, "the body loop does not end");
    ancm::fuzz::BodyPiece piece(*parser, pieces.next(in.stream.size() + 1),
                                "upstream_response_fuzz");
    std::size_t read_before = stream.consumed();
    std::size_t buffered_before = input.size();

    http::read_some(stream, input, *parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (!ec) ec = parse_buffered_body(*parser, input);
    if (ec) return out;

    std::size_t got = piece.take(out.body, in.stream.size());
    if (parser->is_done()) return finished(*parser, input, std::move(out));
    require(got > 0 || stream.consumed() != read_before || input.size() != buffered_before,
            "a step that neither read, parsed nor finished (the proxy would spin)");
  }
}

void check_framing(const SplitInput& in, const Outcome& out) {
  if (out.end != End::Done) return;
  const bool is_head = in.flag(0);
  const bool bodyless = is_head || out.status / 100 == 1 || out.status == 204 || out.status == 304;
  if (bodyless) require(out.body.empty(), "a body where the status or HEAD allows none");
  if (!bodyless && out.content_length) {
    require(out.body.size() == *out.content_length, "body length differs from Content-Length");
  }
  if (out.need_eof) require(!out.keep_alive, "keep-alive on a response only end of file ends");
  // A pooled connection's next response must start where this one ended:
  // this one must have said where that is.
  if (out.pooled) {
    require(bodyless || out.chunked || out.content_length.has_value(),
            "pooled a connection whose response had no framing");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<SplitInput> in = SplitInput::parse(data, size);
  if (!in) return 0;

  Outcome split = read_response(*in, in->reads(), in->pieces());
  check_framing(*in, split);

  // The same bytes in one read, into one buffer.
  SizeSchedule whole(0, 0, 0);
  Outcome reference = read_response(*in, whole, whole);
  require(split.end == reference.end, "the split changed whether the response ends well");
  if (split.end != End::Failed) {
    require(split.status == reference.status, "the split changed the status");
  }
  if (split.end == End::Done) {
    require(split.body == reference.body, "the split changed the body");
    require(split.keep_alive == reference.keep_alive, "the split changed keep-alive");
  }
  return 0;
}
