// Response body bytes on their way to the socket. Pieces queue until the next
// write, which sends the head, the framing and the pieces as one gather list:
// a large body is never copied into one buffer again.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "response_head.h"

namespace ancm::server {

class OutgoingBody {
 public:
  void append(std::string piece);
  // Bytes the caller keeps valid until the write that sends them completes.
  void append_borrowed(const char* data, std::size_t size);
  std::size_t pending_bytes() const { return pending_bytes_; }
  bool empty() const { return pending_.empty(); }

  // Takes every pending piece into a write after `head` (which gets the chunk
  // header when framing is chunked), and the last chunk, with its trailer
  // fields, when asked. The
  // buffers stay valid until end_write(); none is empty, so an empty list
  // means nothing to send. Without framing the pieces are dropped.
  const std::vector<boost::asio::const_buffer>& begin_write(std::string& head, Framing framing,
                                                            bool last_chunk,
                                                            const TrailerFields& trailers = {});
  // The written pieces are freed.
  void end_write();
  // Drops what was not written (the response ended early).
  void clear();

 private:
  // Owned bytes, or borrowed ones (then `owned` is empty).
  struct Piece {
    std::string owned;
    std::string_view borrowed;
    std::string_view bytes() const { return owned.empty() ? borrowed : std::string_view(owned); }
  };
  std::vector<Piece> pending_, writing_;
  std::size_t pending_bytes_ = 0;
  std::string tail_;  // the chunk's CRLF and the last chunk
  std::vector<boost::asio::const_buffer> gather_;
};

}  // namespace ancm::server
