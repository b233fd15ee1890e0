// The request head as RFC 9112 writes it, and nothing looser. The front end
// is the only parser between the network and the app (in-process) or the
// app's Kestrel (out-of-process), so every head it lets through must have one
// meaning, for us and for whatever runs behind us. Anything else is refused
// here, with the status Kestrel gives, before a handler sees it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "ancm/common/result.h"

namespace ancm::server {

struct HeadLimits {
  std::size_t max_header_bytes = 32 * 1024;  // request line + fields → 431
  std::size_t max_uri_bytes = 8 * 1024;      // request-target → 414
  uint64_t max_body_bytes = UINT64_MAX;      // a declared Content-Length → 413
  std::size_t max_header_count = 100;        // field lines → 431 (Kestrel's default)
};

// Why a request is refused: the status to answer, the rule it broke (logged).
struct HeadRejection {
  int status = 400;
  std::string_view rule;
};

// Where the head ends in the bytes received so far.
struct HeadScan {
  enum class State { Incomplete, Complete, Rejected };
  State state = State::Incomplete;
  std::size_t blank_lines = 0;  // bytes of empty lines before the request line (§2.2)
  std::size_t end = 0;          // Complete: just past the empty line ending the head
  std::size_t searched = 0;     // Incomplete: pass as `resume` with more bytes
  HeadRejection rejection;      // Rejected: too long, or a stray line ending
};

// Scans `received` (everything from the start of this request) for the end
// of the head. `resume` is the previous scan's `searched`, so a head that
// trickles in byte by byte is not scanned over and over.
HeadScan scan_request_head(std::string_view received, std::size_t resume, const HeadLimits& limits);

enum class TargetForm { Origin, Absolute, Asterisk };
enum class BodyFraming { None, ContentLength, Chunked };

struct HeadField {
  std::string_view name;
  std::string_view value;  // without surrounding whitespace
};

// A head that keeps every rule: views into the bytes it was parsed from (or,
// for HTTP/2, into the stream's decoded fields).
struct RequestHead {
  std::string_view method;
  std::string_view target;
  int version = 11;  // 10 or 11; 20 for an HTTP/2 stream
  // HTTP/2's pseudo-header fields that HTTP/1 carries elsewhere or not at all.
  std::string_view scheme;     // :scheme
  std::string_view authority;  // :authority (HTTP/1: the Host field)
  std::string_view protocol;   // :protocol, only on an extended CONNECT (RFC 8441)
  std::vector<HeadField> fields;
  TargetForm form = TargetForm::Origin;
  BodyFraming body = BodyFraming::None;
  uint64_t content_length = 0;
  bool has_body() const {
    return body == BodyFraming::Chunked || (body == BodyFraming::ContentLength && content_length);
  }
};

// `head` is the request line through the empty line that ends the head,
// without the empty lines before it (scan_request_head's blank_lines).
common::Result<RequestHead, HeadRejection> parse_request_head(std::string_view head,
                                                              const HeadLimits& limits);

}  // namespace ancm::server
