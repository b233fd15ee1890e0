#include "h2_frames.h"

#include <nghttp2/nghttp2.h>

#include <memory>

namespace ancm::test::h2 {
namespace {

void put32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

uint32_t get32(std::string_view bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = value << 8 | static_cast<uint8_t>(bytes[i]);
  return value;
}

// An HPACK integer with an n-bit prefix (RFC 7541 section 5.1), first byte's
// high bits given.
std::string integer(uint32_t value, int prefix_bits, uint8_t high) {
  std::string out;
  uint32_t max = (1u << prefix_bits) - 1;
  if (value < max) {
    out.push_back(static_cast<char>(high | value));
    return out;
  }
  out.push_back(static_cast<char>(high | max));
  value -= max;
  while (value >= 128) {
    out.push_back(static_cast<char>(value % 128 + 128));
    value /= 128;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

std::string string_literal(std::string_view text) {
  return integer(static_cast<uint32_t>(text.size()), 7, 0) + std::string(text);
}

}  // namespace

std::string frame(uint8_t type, uint8_t flags, uint32_t stream_id, std::string_view payload) {
  std::string out;
  auto length = static_cast<uint32_t>(payload.size());
  out.push_back(static_cast<char>(length >> 16));
  out.push_back(static_cast<char>(length >> 8));
  out.push_back(static_cast<char>(length));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  put32(out, stream_id & 0x7fffffffu);
  out.append(payload);
  return out;
}

std::string settings(const std::vector<std::pair<uint16_t, uint32_t>>& entries) {
  std::string payload;
  for (auto [id, value] : entries) {
    payload.push_back(static_cast<char>(id >> 8));
    payload.push_back(static_cast<char>(id));
    put32(payload, value);
  }
  return frame(kSettings, 0, 0, payload);
}

std::string settings_ack() { return frame(kSettings, kAck, 0, ""); }

std::string ping(uint64_t opaque) {
  std::string payload;
  put32(payload, static_cast<uint32_t>(opaque >> 32));
  put32(payload, static_cast<uint32_t>(opaque));
  return frame(kPing, 0, 0, payload);
}

std::string rst_stream(uint32_t stream_id, uint32_t error_code) {
  std::string payload;
  put32(payload, error_code);
  return frame(kRstStream, 0, stream_id, payload);
}

std::string window_update(uint32_t stream_id, uint32_t increment) {
  std::string payload;
  put32(payload, increment);
  return frame(kWindowUpdate, 0, stream_id, payload);
}

std::string literal(std::string_view name, std::string_view value) {
  return std::string(1, '\0') + string_literal(name) + string_literal(value);
}

std::string literal_indexed(std::string_view name, std::string_view value) {
  return std::string(1, '\x40') + string_literal(name) + string_literal(value);
}

std::string indexed(uint32_t index) { return integer(index, 7, 0x80); }

std::string get_block(std::string_view path) {
  // :method GET (2), :scheme http (6), then :path and :authority as literals.
  return indexed(2) + indexed(6) + literal(":path", path) + literal(":authority", "test");
}

std::string client_start() { return std::string(kPreface) + settings(); }

std::vector<Frame> parse_frames(std::string_view bytes) {
  std::vector<Frame> frames;
  while (bytes.size() >= 9) {
    uint32_t length = static_cast<uint8_t>(bytes[0]) << 16 | static_cast<uint8_t>(bytes[1]) << 8 |
                      static_cast<uint8_t>(bytes[2]);
    if (bytes.size() < 9 + length) break;
    Frame f;
    f.type = static_cast<uint8_t>(bytes[3]);
    f.flags = static_cast<uint8_t>(bytes[4]);
    f.stream_id = get32(bytes.substr(5)) & 0x7fffffffu;
    f.payload = std::string(bytes.substr(9, length));
    frames.push_back(std::move(f));
    bytes.remove_prefix(9 + length);
  }
  return frames;
}

std::optional<uint32_t> goaway_code(std::string_view bytes) {
  for (const auto& f : parse_frames(bytes)) {
    if (f.type == kGoaway && f.payload.size() >= 8)
      return get32(std::string_view(f.payload).substr(4));
  }
  return std::nullopt;
}

std::string status_of(const Frame& frame) {
  nghttp2_hd_inflater* raw = nullptr;
  if (nghttp2_hd_inflate_new(&raw) != 0) return {};
  std::unique_ptr<nghttp2_hd_inflater, decltype(&nghttp2_hd_inflate_del)> inflater(
      raw, &nghttp2_hd_inflate_del);
  const auto* in = reinterpret_cast<const uint8_t*>(frame.payload.data());
  std::size_t left = frame.payload.size();
  while (left > 0) {
    nghttp2_nv field{};
    int flags = 0;
    auto used = nghttp2_hd_inflate_hd2(inflater.get(), &field, &flags, in, left, 1);
    if (used < 0) return {};
    in += used;
    left -= static_cast<std::size_t>(used);
    if ((flags & NGHTTP2_HD_INFLATE_EMIT) != 0 &&
        std::string_view(reinterpret_cast<const char*>(field.name), field.namelen) == ":status") {
      return {reinterpret_cast<const char*>(field.value), field.valuelen};
    }
    if ((flags & NGHTTP2_HD_INFLATE_FINAL) != 0) break;
  }
  return {};
}

std::string answered_status(std::string_view bytes, uint32_t stream_id) {
  for (const auto& frame : parse_frames(bytes)) {
    if (frame.stream_id == stream_id && frame.type == kHeaders) return status_of(frame);
  }
  return {};
}

}  // namespace ancm::test::h2
