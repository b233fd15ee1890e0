// Syntax of the request head (RFC 9112 §2–5): where it ends, the request
// line, the field lines. The meaning of the fields (framing, Host, target
// form) is checked in request_head_rules.cpp.
#include "request_head.h"

#include <algorithm>

#include "ancm/common/http_syntax.h"
#include "request_head_rules.h"

namespace ancm::server {
namespace {

using common::is_field_value_char;
using common::is_token;
using common::is_whitespace;
using common::trim_whitespace;

constexpr std::string_view kCrlf = "\r\n";
// Method, two spaces, "HTTP/1.1" and CRLF around the request-target.
constexpr std::size_t kRequestLineOverhead = 64;

HeadScan rejected(int status, std::string_view rule) {
  HeadScan scan;
  scan.state = HeadScan::State::Rejected;
  scan.rejection = {status, rule};
  return scan;
}

// A request line still arriving after this many bytes has a target over the limit.
bool request_line_too_long(std::string_view line_so_far, const HeadLimits& limits) {
  return line_so_far.size() > limits.max_uri_bytes + kRequestLineOverhead;
}

// "HTTP/" DIGIT "." DIGIT, case-sensitive: 10 or 11; 0 for another version.
common::Result<int, HeadRejection> parse_version(std::string_view text) {
  bool well_formed = text.size() == 8 && text.substr(0, 5) == "HTTP/" && text[5] >= '0' &&
                     text[5] <= '9' && text[6] == '.' && text[7] >= '0' && text[7] <= '9';
  if (!well_formed) return common::fail(HeadRejection{400, "malformed HTTP-version"});
  int version = (text[5] - '0') * 10 + (text[7] - '0');
  if (version != 10 && version != 11)
    return common::fail(HeadRejection{505, "HTTP version not supported"});
  return version;
}

// request-line = method SP request-target SP HTTP-version (§3), one space each.
common::Result<void, HeadRejection> parse_request_line(std::string_view line,
                                                       const HeadLimits& limits,
                                                       RequestHead& head) {
  if (request_line_too_long(line, limits))
    return common::fail(HeadRejection{414, "request line too long"});
  auto first_space = line.find(' ');
  if (first_space == std::string_view::npos)
    return common::fail(HeadRejection{400, "malformed request line"});
  head.method = line.substr(0, first_space);
  if (!is_token(head.method)) return common::fail(HeadRejection{400, "malformed method"});
  auto rest = line.substr(first_space + 1);
  auto last_space = rest.rfind(' ');
  if (last_space == std::string_view::npos)
    return common::fail(HeadRejection{400, "malformed request line"});
  head.target = rest.substr(0, last_space);
  if (auto checked = check_request_target(head.target, limits); !checked.ok()) return checked;
  auto version = parse_version(rest.substr(last_space + 1));
  if (!version.ok()) return common::fail(version.error());
  head.version = version.value();
  return {};
}

// field-line = field-name ":" OWS field-value OWS (§5); no obs-fold (§5.2).
common::Result<void, HeadRejection> parse_field_line(std::string_view line, RequestHead& head) {
  if (is_whitespace(line.front()))
    return common::fail(HeadRejection{400, "obs-fold (line folding)"});
  auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return common::fail(HeadRejection{400, "field line without a colon"});
  auto name = line.substr(0, colon);
  if (!is_token(name)) return common::fail(HeadRejection{400, "malformed field name"});
  auto value = trim_whitespace(line.substr(colon + 1));
  for (char c : value) {
    if (!is_field_value_char(static_cast<unsigned char>(c))) {
      return common::fail(HeadRejection{400, "control character in a field value"});
    }
  }
  head.fields.push_back({name, value});
  return {};
}

}  // namespace

// Every rule here is broken at one byte (a lone CR or LF, the first byte
// past a limit), and the first broken in byte order decides: the answer
// never depends on how the bytes were split into reads.
HeadScan scan_request_head(std::string_view received, std::size_t resume,
                           const HeadLimits& limits) {
  HeadScan scan;
  // Empty lines before the request line are ignored (§2.2).
  while (received.substr(scan.blank_lines, 2) == kCrlf) scan.blank_lines += 2;
  auto head = received.substr(scan.blank_lines);
  const std::size_t line_limit = limits.max_uri_bytes + kRequestLineOverhead;
  std::size_t i = resume > scan.blank_lines ? resume - scan.blank_lines : 0;
  bool in_request_line = head.substr(0, i).find(kCrlf) == std::string_view::npos;
  for (; i < head.size(); ++i) {
    if (i >= limits.max_header_bytes) return rejected(431, "request head too large");
    if (in_request_line && i >= line_limit && head[i] != '\r') {
      return rejected(414, "request line too long");
    }
    if (head[i] == '\n') return rejected(400, "line ending without CR");
    if (head[i] != '\r') continue;
    if (i + 1 == head.size()) break;  // its LF is on the way
    if (head[i + 1] != '\n') return rejected(400, "CR without LF");
    in_request_line = false;
    if (i + 3 >= head.size()) break;  // an empty line may be on the way
    if (head.compare(i + 2, 2, kCrlf) == 0) {
      if (i + 4 > limits.max_header_bytes) return rejected(431, "request head too large");
      scan.state = HeadScan::State::Complete;
      scan.end = scan.blank_lines + i + 4;
      return scan;
    }
    ++i;
  }
  scan.searched = scan.blank_lines + i;
  return scan;
}

common::Result<RequestHead, HeadRejection> parse_request_head(std::string_view head,
                                                              const HeadLimits& limits) {
  RequestHead parsed;
  // One allocation for the fields, not one per doubling: a field line per
  // line ending after the request line's (the head ends with an empty line).
  auto line_endings = static_cast<std::size_t>(std::count(head.begin(), head.end(), '\n'));
  parsed.fields.reserve(line_endings >= 2 ? line_endings - 2 : 0);
  auto line_end = head.find(kCrlf);
  if (auto read = parse_request_line(head.substr(0, line_end), limits, parsed); !read.ok()) {
    return common::fail(read.error());
  }
  auto rest = head.substr(line_end + kCrlf.size());
  while (true) {
    line_end = rest.find(kCrlf);
    if (line_end == 0 || line_end == std::string_view::npos) break;
    if (auto read = parse_field_line(rest.substr(0, line_end), parsed); !read.ok()) {
      return common::fail(read.error());
    }
    rest.remove_prefix(line_end + kCrlf.size());
  }
  if (auto ruled = apply_request_head_rules(parsed, limits); !ruled.ok())
    return common::fail(ruled.error());
  return parsed;
}

}  // namespace ancm::server
