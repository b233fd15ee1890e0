// Connection, a response body piece that waits in the handler's pipe
// (write_body_from_pipe): once what was queued before it is written, its
// bytes go from the pipe to the socket with splice(2), never through user
// space. A proxy relaying a large body from its own socket so moves it with
// no copy and holds no buffer for it. A framing that changes the bytes
// (chunked) or drops them (HEAD) reads the piece into a queued one instead.
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <optional>
#include <string>
#include <utility>

#include "connection.h"

namespace ancm::server {
namespace asio = boost::asio;
using boost::beast::error_code;

// Any thread. Only a cleartext socket can take it: TLS must encrypt the
// bytes in user space.
int Connection::write_body_from_pipe(int pipe_fd, std::size_t len, ancm_io_callback cb, void* ctx) {
  if (stream_.is_tls()) return -EOPNOTSUPP;
  if (len == 0) return 0;
  // Posted, as write_body's writes are: cb never runs inside this call.
  asio::post(strand_, [self = shared_from_this(), piece = PipePiece{pipe_fd, len, {cb, ctx, len}}] {
    self->take_pipe_piece(piece);
  });
  return 0;
}

void Connection::take_pipe_piece(PipePiece piece) {
  auto refuse = [&](int status) { piece.done.fn(piece.done.ctx, status, 0); };
  if (!in_request() || completed()) return refuse(-EINVAL);
  if (dead() || writer_.answered_by_server()) return refuse(-ECONNRESET);
  if (pipe_piece_) return refuse(-EBUSY);
  pipe_piece_ = piece;
  // The head (and anything queued) goes first, in a write of its own.
  if (!writer_.head_sent()) writer_.append({}, {}, request_.is_head, nullptr, nullptr);
  if (io_.write_in_flight || io_.write_scheduled) return;  // its end continues with the piece
  continue_writing();
}

// A piece that cannot go (the connection died, the Content-Length would be
// passed) is answered, and the response goes on without it: it may be the
// last thing its end waited for.
void Connection::start_pipe_piece() {
  if (dead()) {
    answer_pipe_piece(-ECONNRESET);
    return continue_writing();
  }
  if (!writer_.body_goes_verbatim()) return copy_pipe_piece();
  if (int refused = writer_.count_body(pipe_piece_->done.bytes, request_.is_head)) {
    answer_pipe_piece(refused);
    return continue_writing();
  }
  io_.write_in_flight = true;
  arm_request_timer();
  splice_pipe_piece();
}

// Moves what the socket takes; waits for room while it is full.
void Connection::splice_pipe_piece() {
  error_code ec;
  while (pipe_piece_->left > 0) {
    std::size_t moved = stream_.splice_from_pipe(pipe_piece_->fd, pipe_piece_->left, ec);
    if (ec == asio::error::would_block) {
      stream_.async_wait_writable([self = shared_from_this()](error_code wait_ec) {
        if (wait_ec) return self->end_pipe_piece(wait_ec);
        self->splice_pipe_piece();
      });
      return;
    }
    if (ec) break;
    pipe_piece_->left -= moved;
  }
  end_pipe_piece(ec);
}

void Connection::end_pipe_piece(error_code ec) {
  io_.write_in_flight = false;
  arm_request_timer();
  // A pipe short of what was promised is the handler's mistake, not the
  // client's; the response is broken either way.
  bool short_pipe = ec == boost::system::errc::io_error;
  if (ec) {
    spdlog::debug("response to {}: the body piece from the handler's pipe failed: {}",
                  endpoints_.peer,
                  short_pipe ? "the pipe held fewer bytes than promised" : ec.message());
    notify_disconnect();
    close();
  }
  answer_pipe_piece(ec ? (short_pipe ? -EIO : -ECONNRESET) : 0);
  continue_writing();
}

// The framing needs the bytes themselves (chunked), or drops them (HEAD): they
// are read out of the pipe, which must hold them all already (a read never
// waits on the strand), and queued like write_body's.
void Connection::copy_pipe_piece() {
  auto piece = *std::exchange(pipe_piece_, std::nullopt);
  int waiting = 0;
  if (::ioctl(piece.fd, FIONREAD, &waiting) != 0 ||
      static_cast<std::size_t>(waiting) < piece.left) {
    spdlog::debug("response to {}: the handler's pipe held {} of the {} bytes it promised",
                  endpoints_.peer, waiting, piece.left);
    piece.done.fn(piece.done.ctx, -EIO, 0);
    return continue_writing();
  }
  std::string bytes(piece.left, '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = ::read(piece.fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  int refused = got < bytes.size() ? -EIO
                                   : writer_.append(std::move(bytes), {}, request_.is_head,
                                                    piece.done.fn, piece.done.ctx);
  if (refused) piece.done.fn(piece.done.ctx, refused, 0);
  continue_writing();
}

// The piece's one callback: its bytes when it went (status 0), none else.
void Connection::answer_pipe_piece(int status) {
  if (!pipe_piece_) return;
  auto done = std::exchange(pipe_piece_, std::nullopt)->done;
  done.fn(done.ctx, status, status == 0 ? done.bytes : 0);
}

}  // namespace ancm::server
