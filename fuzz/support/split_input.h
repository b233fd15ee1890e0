// A fuzz input read as a byte stream plus how it arrives: a few control bytes
// first, then the stream. Network code must give the same answer however the
// peer's bytes are split into reads (and into the buffers bodies are read
// into), so the fuzzer chooses the splits as well as the bytes.
//
// Layout: [flags][max read][max piece][seed] stream...
//   flags      target-specific bits (e.g. "the request was HEAD")
//   max read   each read returns 1..max bytes of the stream (0: all that is left)
//   max piece  each body buffer holds 1..max bytes (0: as large as the stream)
//   seed       0: every read/piece is exactly max; else the sizes vary, drawn
//              from a small PRNG seeded with it (so one input = one schedule)
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ancm::fuzz {

// Sizes of successive reads or buffers, 1..max each (max 0: unlimited).
class SizeSchedule {
 public:
  SizeSchedule(std::uint8_t max, std::uint8_t seed, std::uint32_t salt)
      : max_(max), state_(seed == 0 ? 0 : (std::uint32_t{seed} << 8 | salt) * 2654435761u | 1) {}

  // The next size, at most `left` (and at least 1 when left > 0).
  std::size_t next(std::size_t left) {
    if (max_ == 0) return left;
    std::size_t size = max_;
    if (state_ != 0) {
      // xorshift32: deterministic and cheap; the fuzzer steers it through the seed.
      state_ ^= state_ << 13;
      state_ ^= state_ >> 17;
      state_ ^= state_ << 5;
      size = 1 + state_ % max_;
    }
    return std::min(size, left);
  }

  bool unlimited() const { return max_ == 0; }

 private:
  std::uint8_t max_;
  std::uint32_t state_;
};

struct SplitInput {
  static constexpr std::size_t kControlBytes = 4;

  std::uint8_t flags = 0;
  std::uint8_t max_read = 0;
  std::uint8_t max_piece = 0;
  std::uint8_t seed = 0;
  std::string_view stream;

  // nullopt when the input is too short to hold the control bytes.
  static std::optional<SplitInput> parse(const std::uint8_t* data, std::size_t size) {
    if (size < kControlBytes) return std::nullopt;
    SplitInput input;
    input.flags = data[0];
    input.max_read = data[1];
    input.max_piece = data[2];
    input.seed = data[3];
    input.stream = {reinterpret_cast<const char*>(data) + kControlBytes, size - kControlBytes};
    return input;
  }

  bool flag(unsigned bit) const { return (flags >> bit) & 1u; }
  SizeSchedule reads() const { return {max_read, seed, 0x52}; }
  SizeSchedule pieces() const { return {max_piece, seed, 0x50}; }
};

// A SyncReadStream (as Beast's synchronous read algorithms need) over the
// stream, returning it in reads the schedule sizes, then end of file: a peer
// that sent these bytes and closed. Beast's sync and async reads share the
// same steps (boost/beast/http/impl/read.hpp), so this drives the parser the
// way a socket would.
class SplitReadStream {
 public:
  SplitReadStream(std::string_view bytes, SizeSchedule reads) : bytes_(bytes), reads_(reads) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    ec = {};
    std::size_t left = bytes_.size() - offset_;
    if (left == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    std::size_t room = boost::asio::buffer_size(buffers);
    if (room == 0) return 0;
    std::size_t size = std::min(reads_.next(left), room);
    std::size_t copied =
        boost::asio::buffer_copy(buffers, boost::asio::buffer(bytes_.substr(offset_, size)));
    offset_ += copied;
    return copied;
  }

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  std::size_t consumed() const { return offset_; }
  std::size_t size() const { return bytes_.size(); }

 private:
  std::string_view bytes_;
  SizeSchedule reads_;
  std::size_t offset_ = 0;
};

}  // namespace ancm::fuzz
