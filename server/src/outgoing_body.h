// Response body bytes on their way to the socket. Pieces queue until the next
// write, which sends the head, the framing and the pieces as one gather list:
// a large body is never copied into one buffer again.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "response_head.h"

namespace ancm::server {

class OutgoingBody {
 public:
  void append(std::string piece);
  std::size_t pending_bytes() const { return pending_bytes_; }
  bool empty() const { return pending_.empty(); }

  // Takes every pending piece into a write after `head` (which gets the chunk
  // header when framing is chunked), and the last chunk when asked. The
  // buffers stay valid until end_write(). Without framing the pieces are dropped.
  const std::vector<boost::asio::const_buffer>& begin_write(std::string& head, Framing framing,
                                                            bool last_chunk);
  // The written pieces are freed.
  void end_write();

 private:
  std::vector<std::string> pending_, writing_;
  std::size_t pending_bytes_ = 0;
  std::string tail_;  // the chunk's CRLF and the last chunk
  std::vector<boost::asio::const_buffer> gather_;
};

}  // namespace ancm::server
