// Serialising a response head and framing body bytes (HTTP/1.1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ancm/common/chunked_framing.h"

namespace ancm::server {

struct ResponseHead {
  int status = 200;
  std::string reason;  // empty = the standard reason phrase
  // The added fields as they go out, "name: value\r\n" each: one string,
  // whose capacity a connection's next response reuses (no allocation per field).
  std::string fields;
  std::optional<uint64_t> content_length;  // from a Content-Length header
  bool has_date = false;
  bool has_server = false;
  bool wants_close = false;  // the handler sent "Connection: close"

  void clear();
  // Records a header the handler adds; framing headers are taken over by the
  // server. Returns false for a malformed name/value (CR/LF, bad length).
  bool add(std::string_view name, std::string_view value);
};

enum class Framing { None, ContentLength, Chunked, UntilClose };

// A response's trailer fields, (name, value), in the order they were added.
using TrailerFields = std::vector<std::pair<std::string, std::string>>;

// The registered reason phrase for status, or "" for a status without one.
std::string_view standard_reason(int status);

// Statuses that never carry a body.
bool status_has_no_body(int status);

// Appends "HTTP/1.1 <status> <reason>\r\n<headers>\r\n" to out.
void serialize_head(const ResponseHead& head, Framing framing, uint64_t content_length,
                    bool keep_alive, std::string& out);

using common::append_chunk_header;
using common::append_last_chunk;
using common::kLastChunk;

// The current time as an IMF-fixdate, cached per second and per thread.
std::string_view http_date_now();

}  // namespace ancm::server
