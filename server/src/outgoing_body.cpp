#include "outgoing_body.h"

namespace ancm::server {
namespace {

// Bodies this small are copied behind the head: one buffer beats a gather
// list. Larger ones are gathered: copying them would make every connection's
// write buffer grow to hold them.
constexpr std::size_t kCopyBelow = 1024;

}  // namespace

void OutgoingBody::append(std::string piece) {
  if (piece.empty()) return;
  pending_bytes_ += piece.size();
  pending_.push_back(Piece{std::move(piece), {}});
}

void OutgoingBody::append_borrowed(const char* data, std::size_t size) {
  if (size == 0) return;
  pending_bytes_ += size;
  pending_.push_back(Piece{{}, {data, size}});
}

const std::vector<boost::asio::const_buffer>& OutgoingBody::begin_write(
    std::string& head, Framing framing, bool last_chunk, const TrailerFields& trailers) {
  gather_.clear();
  tail_.clear();
  writing_.clear();
  std::swap(writing_, pending_);
  std::size_t bytes = std::exchange(pending_bytes_, 0);
  bool sends_body = framing != Framing::None && bytes > 0;
  bool chunked = sends_body && framing == Framing::Chunked;
  if (chunked) append_chunk_header(bytes, head);
  if (sends_body && bytes < kCopyBelow) {
    for (const auto& piece : writing_) head += piece.bytes();
    sends_body = false;
  }
  if (!head.empty()) gather_.push_back(boost::asio::buffer(head));
  if (sends_body) {
    for (const auto& piece : writing_) gather_.push_back(boost::asio::buffer(piece.bytes()));
  }
  if (chunked) tail_ = "\r\n";
  if (last_chunk) append_last_chunk(trailers, tail_);
  if (!tail_.empty()) gather_.push_back(boost::asio::buffer(tail_));
  return gather_;
}

void OutgoingBody::end_write() { writing_.clear(); }

void OutgoingBody::clear() {
  pending_.clear();
  pending_bytes_ = 0;
}

}  // namespace ancm::server
