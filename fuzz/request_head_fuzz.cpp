// The front end's reading of a request over arbitrary bytes: the head found
// and checked by our rules (server/src/request_head.h) as the bytes trickle
// in, then handed to Beast's request parser, whose body (Content-Length or
// chunked) is read into small buffers, as server/src/connection.cpp does it
// (steps marked "Connection::..." below), with the splits the input chooses
// (support/split_input.h).
//
// It checks what the front end relies on: no crash or sanitizer report; the
// head found at the same place however it arrived; a head our rules accept
// and Beast also accepts is one Beast reads with the same framing (the
// server would refuse a disagreement, but one would mean our rules miss
// something Beast sees); a body never larger than what
// was sent nor than the limit; every step makes progress; and the same
// outcome, body and framing as when everything arrives in one read.
//
// Input flags: bit 0 a small body limit (64 bytes) instead of 1 MiB.
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
#include "parser_agreement.h"
#include "request_head.h"
#include "split_input.h"

namespace {

namespace http = boost::beast::http;
using ancm::fuzz::SizeSchedule;
using ancm::fuzz::SplitInput;
using ancm::fuzz::SplitReadStream;
using ancm::server::HeadLimits;
using ancm::server::HeadScan;
using ancm::server::RequestHead;
using boost::system::error_code;
using Parser = http::request_parser<http::buffer_body>;

// Small limits, so the fuzzer reaches them; the body's is Beast's (body_limit below).
constexpr HeadLimits kLimits{2048, 512, UINT64_MAX};

enum class End { Incomplete, Refused, BodyFailed, Done };

struct Outcome {
  End end = End::Incomplete;
  int status = 0;  // Refused: the status the server answers
  std::size_t head_end = 0;
  std::string body;
};

void require(bool condition, const char* what) {
  ancm::fuzz::require(condition, "request_head_fuzz", what);
}

// Connection::on_head_bytes: scan what arrived, read more until the head is
// complete or refused. Returns the received bytes' scan result.
HeadScan read_head(SplitReadStream& stream, std::string& received) {
  std::size_t resume = 0;
  for (;;) {
    auto scan = ancm::server::scan_request_head(received, resume, kLimits);
    if (scan.state != HeadScan::State::Incomplete) return scan;
    require(scan.searched <= received.size(), "the scan resumes past the bytes it has");
    // The connection drops the empty lines before the request line.
    received.erase(0, scan.blank_lines);
    resume = scan.searched - scan.blank_lines;
    char chunk[256];
    error_code ec;
    std::size_t n = stream.read_some(boost::asio::buffer(chunk), ec);
    if (ec) return scan;
    received.append(chunk, n);
  }
}

Outcome read_request(const SplitInput& in, SizeSchedule reads, SizeSchedule pieces) {
  SplitReadStream stream(in.stream, reads);
  std::string received;
  Outcome out;
  auto scan = read_head(stream, received);
  if (scan.state == HeadScan::State::Incomplete) return out;
  if (scan.state == HeadScan::State::Rejected) {
    out.end = End::Refused;
    out.status = scan.rejection.status;
    return out;
  }
  out.head_end = stream.consumed() - (received.size() - scan.end);
  std::string_view head_bytes(received.data() + scan.blank_lines, scan.end - scan.blank_lines);
  auto parsed = ancm::server::parse_request_head(head_bytes, kLimits);
  if (!parsed.ok()) {
    require(parsed.error().status >= 400 && parsed.error().status < 600,
            "a refusal that is not an error");
    out.end = End::Refused;
    out.status = parsed.error().status;
    return out;
  }
  const auto& head = parsed.value();

  // Connection::on_head: Beast parses the same head, with the body limit.
  Parser parser;
  parser.header_limit(static_cast<std::uint32_t>(kLimits.max_header_bytes));
  const std::uint64_t body_limit = in.flag(0) ? 64 : 1024 * 1024;
  parser.body_limit(body_limit);
  error_code ec;
  std::size_t used = parser.put(boost::asio::buffer(head_bytes.data(), head_bytes.size()), ec);
  if (ec == http::error::body_limit) {
    out.end = End::Refused;
    out.status = 413;
    return out;
  }
  // Beast is stricter in places (e.g. the token lists of Connection and
  // Upgrade): the server answers 400 then, as here.
  if (ec || used != head_bytes.size() || !parser.is_header_done()) {
    out.end = End::Refused;
    out.status = 400;
    return out;
  }
  require(ancm::server::parser_reads_same_framing(head, parser),
          "Beast reads another body framing than our rules");

  // Connection::read_body_some / on_body_read: the rest of what arrived is
  // buffered, the body is read into the handler's buffers piece by piece.
  boost::beast::flat_buffer buffer;
  auto rest = std::string_view(received).substr(scan.end);
  auto space = buffer.prepare(rest.size());
  buffer.commit(boost::asio::buffer_copy(space, boost::asio::buffer(rest.data(), rest.size())));
  const std::size_t limit = in.stream.size() * 2 + 16;
  for (std::size_t step = 0; !parser.is_done(); ++step) {
    require(step <= limit, "the body loop does not end");
    ancm::fuzz::BodyPiece piece(parser, pieces.next(in.stream.size() + 1), "request_head_fuzz");
    std::size_t read_before = stream.consumed();
    std::size_t buffered_before = buffer.size();
    http::read_some(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      out.end = End::BodyFailed;
      return out;
    }
    std::size_t got = piece.take(out.body, in.stream.size());
    require(out.body.size() <= body_limit, "more body than the limit");
    require(got > 0 || stream.consumed() != read_before || buffer.size() != buffered_before ||
                parser.is_done(),
            "a step that neither read, parsed nor finished (the connection would spin)");
  }
  if (head.body == ancm::server::BodyFraming::ContentLength) {
    require(out.body.size() == head.content_length, "body length differs from Content-Length");
  }
  out.end = End::Done;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<SplitInput> in = SplitInput::parse(data, size);
  if (!in) return 0;

  Outcome split = read_request(*in, in->reads(), in->pieces());
  SizeSchedule whole(0, 0, 0);
  Outcome reference = read_request(*in, whole, whole);
  // A split may end the stream mid-head only where one read would not.
  if (split.end == End::Incomplete || reference.end == End::Incomplete) return 0;
  require(split.end == reference.end, "the split changed how the request ends");
  require(split.status == reference.status, "the split changed the refusal");
  if (split.end == End::Done) {
    require(split.head_end == reference.head_end, "the split moved the end of the head");
    require(split.body == reference.body, "the split changed the body");
  }
  return 0;
}
