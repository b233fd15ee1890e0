// Which protocol a cleartext client speaks, from its first bytes: HTTP/2
// with prior knowledge starts with the client preface (RFC 9113 section
// 3.4), anything else is HTTP/1.x. The bytes read to tell are handed on to
// the protocol chosen, which starts from them.
#pragma once

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace ancm::server {

inline constexpr std::string_view kHttp2Preface{NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN};

enum class FirstBytesVerdict { NeedMore, Http1, Http2 };

// The reader of the first bytes (connection_starter.cpp): Reading, or
// Draining (a drain came: a short grace, then passed on), until HandedOn (to
// the protocol's object) or Closed (the time ran out).
enum class FirstBytesPhase { Reading, Draining, HandedOn, Closed };

constexpr bool is_legal(FirstBytesPhase from, FirstBytesPhase to) {
  using P = FirstBytesPhase;
  return (from == P::Reading && (to == P::Draining || to == P::HandedOn || to == P::Closed)) ||
         (from == P::Draining && (to == P::HandedOn || to == P::Closed));
}

constexpr std::string_view name(FirstBytesPhase phase) {
  switch (phase) {
    case FirstBytesPhase::Reading:
      return "Reading";
    case FirstBytesPhase::Draining:
      return "Draining";
    case FirstBytesPhase::HandedOn:
      return "HandedOn";
    case FirstBytesPhase::Closed:
      return "Closed";
  }
  return "?";
}

// Http2 once the whole preface came, Http1 at the first byte that differs.
inline FirstBytesVerdict classify_first_bytes(std::string_view bytes) {
  auto n = std::min(bytes.size(), kHttp2Preface.size());
  if (bytes.substr(0, n) != kHttp2Preface.substr(0, n)) return FirstBytesVerdict::Http1;
  return n == kHttp2Preface.size() ? FirstBytesVerdict::Http2 : FirstBytesVerdict::NeedMore;
}

}  // namespace ancm::server
