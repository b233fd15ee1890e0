// HTTP/2 frames written by hand (RFC 9113 section 4.1), for tests that play a
// hostile client: floods, resets, CONTINUATION chains, header blocks that
// decode large. Header blocks are plain HPACK literals (RFC 7541 6.2.2) or
// indexed references, no Huffman. Also reads frames back out of raw bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ancm::test::h2 {

enum FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
enum Flags : uint8_t { kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4 };

inline constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string frame(uint8_t type, uint8_t flags, uint32_t stream_id, std::string_view payload);
std::string settings(const std::vector<std::pair<uint16_t, uint32_t>>& entries = {});
std::string settings_ack();
std::string ping(uint64_t opaque = 0);
std::string rst_stream(uint32_t stream_id, uint32_t error_code);
std::string window_update(uint32_t stream_id, uint32_t increment);

// A header field as a literal without indexing (new name).
std::string literal(std::string_view name, std::string_view value);
// A header field as a literal with incremental indexing: it enters the
// decoder's dynamic table at index 62.
std::string literal_indexed(std::string_view name, std::string_view value);
// A reference to table entry index (1..61 static, 62.. dynamic).
std::string indexed(uint32_t index);
// The fields of a GET for path.
std::string get_block(std::string_view path);

// The preface and an empty SETTINGS: what a client sends first.
std::string client_start();

struct Frame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream_id = 0;
  std::string payload;
};
// The whole frames in bytes (after the server's preface, which is frames too).
std::vector<Frame> parse_frames(std::string_view bytes);
// The error code of the first GOAWAY in bytes.
std::optional<uint32_t> goaway_code(std::string_view bytes);
// The :status of a HEADERS frame (no padding or priority), decoded with
// nghttp2's HPACK from an empty table ("" when it refers to earlier entries).
std::string status_of(const Frame& frame);
// The :status of the first HEADERS frame on stream_id in bytes ("" if none).
std::string answered_status(std::string_view bytes, uint32_t stream_id);

}  // namespace ancm::test::h2
