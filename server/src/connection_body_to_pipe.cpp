// Connection, a request body the handler takes in a pipe (read_body_to_pipe):
// the bytes the connection buffered already are written into it, and what
// the socket holds is spliced in behind them with splice(2), never through
// user space. A proxy moves them on from the pipe to its own socket, so an
// upload passes through the host with no buffer of ours holding it.
// Cleartext Content-Length bodies only: a chunked body must be parsed, and
// TLS decrypted, in user space.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdint>

#include "connection.h"

namespace ancm::server {
namespace asio = boost::asio;
using boost::beast::error_code;

// Any thread. Posted, as write_body_from_pipe is: cb never runs inside this call.
int Connection::read_body_to_pipe(int pipe_fd, std::size_t max, ancm_io_callback cb, void* ctx) {
  if (stream_.is_tls() || !request_.length_framed) return -EOPNOTSUPP;
  if (max == 0) return 0;
  asio::post(strand_, [self = shared_from_this(), pipe_fd, max, cb, ctx] {
    self->start_body_read({.pipe = pipe_fd, .cap = max}, {cb, ctx, 0});
  });
  return 0;
}

// A Content-Length body's bytes need no parsing. Nothing ready yet: the
// watch waits for the client, and its bytes come here (on_watch_read).
void Connection::pipe_body() {
  // Set for a body framed by its length, and above 0 while it is not done.
  std::uint64_t remaining = parser_->content_length_remaining().value_or(0);
  auto want = static_cast<std::size_t>(std::min<std::uint64_t>(read_into_.cap, remaining));
  error_code ec;
  std::size_t got = pipe_buffered_body(want, ec);
  if (!ec && got < want) got += splice_body(want - got, ec);
  // A pipe that failed after taking bytes fails the next read, which tries it again.
  if (ec && got == 0) {
    spdlog::debug("request body from {}: the handler's pipe took no bytes: {}", endpoints_.peer,
                  ec.message());
    return end_body_read(-EIO);
  }
  if (got == 0) return watch_connection();
  ec = {};
  count_piped_body(got, ec);
  on_body_parsed(ec, got);
}

// What the connection read already (with the head, or the watch's short
// read-ahead) goes first. A pipe with less room than promised takes what it
// can (a short read is no error); one that takes nothing fails the read.
std::size_t Connection::pipe_buffered_body(std::size_t want, error_code& ec) {
  std::size_t n = std::min(buffer_.size(), want);
  if (n == 0) return 0;
  ssize_t written = 0;
  do {
    written = ::write(read_into_.pipe, buffer_.data().data(), n);
  } while (written < 0 && errno == EINTR);
  if (written <= 0) {
    ec = error_code(written < 0 ? errno : EIO, boost::system::system_category());
    return 0;
  }
  buffer_.consume(static_cast<std::size_t>(written));
  return static_cast<std::size_t>(written);
}

// What the socket holds now, behind the buffered bytes: never while the
// watch's read is pending (its bytes come first) and never waiting. EOF or
// the socket's error is left for the watch, whose next read sees it again;
// the pipe's (closed, not a pipe, a bad descriptor) is pipe_failure. A full
// pipe looks like an empty socket: the watch's bytes then fail to go in.
std::size_t Connection::splice_body(std::size_t want, error_code& pipe_failure) {
  if (buffer_.size() > 0 || io_.watching) return 0;
  error_code ec;
  std::size_t moved = stream_.splice_to_pipe(read_into_.pipe, want, ec);
  if (ec == boost::system::errc::broken_pipe || ec == boost::system::errc::bad_file_descriptor ||
      ec == boost::system::errc::invalid_argument) {
    pipe_failure = ec;
  }
  return moved;
}

// The parser still frames the body and says when it is done, but it never
// looks at a Content-Length body's bytes: zeros stand in for those that went
// into the pipe, and the body only counts them (in_place_body.h).
void Connection::count_piped_body(std::size_t n, error_code& ec) {
  static constexpr std::array<char, 4096> kStandIn{};
  auto& body = parser_->get().body();
  body.data = nullptr;
  body.size = n;
  while (n > 0) {
    std::size_t used =
        parser_->put(asio::buffer(kStandIn.data(), std::min(n, kStandIn.size())), ec);
    if (ec || used == 0) break;
    n -= used;
  }
}

}  // namespace ancm::server
