#include "tls_inbox.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "ancm/common/checked_move.h"

namespace ancm::server {
namespace {

struct BioMethodFree {
  void operator()(BIO_METHOD* method) const { BIO_meth_free(method); }
};

TlsInbox* inbox_of(BIO* bio) { return static_cast<TlsInbox*>(BIO_get_data(bio)); }

int read_inbox(BIO* bio, char* out, std::size_t len, std::size_t* got) {
  return inbox_of(bio)->read(bio, out, len, got);
}

long control_inbox(BIO* bio, int cmd, long, void* ptr) {
  const TlsInbox* inbox = inbox_of(bio);
  switch (cmd) {
    case BIO_CTRL_EOF:
      return inbox->at_eof() ? 1 : 0;
    case BIO_CTRL_PENDING:
      return static_cast<long>(inbox->buffered());
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_C_GET_FD:
      if (ptr != nullptr) *static_cast<int*>(ptr) = inbox->fd();
      return inbox->fd();
    default:
      return 0;
  }
}

int create_inbox_bio(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// Made once and never changed: OpenSSL's BIOs only point at it.
const BIO_METHOD* inbox_method() {
  static const std::unique_ptr<BIO_METHOD, BioMethodFree> method = [] {
    std::unique_ptr<BIO_METHOD, BioMethodFree> made(
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ancm TLS inbox"));
    if (made && (BIO_meth_set_read_ex(made.get(), &read_inbox) != 1 ||
                 BIO_meth_set_ctrl(made.get(), &control_inbox) != 1 ||
                 BIO_meth_set_create(made.get(), &create_inbox_bio) != 1)) {
      made.reset();
    }
    return made;
  }();
  return method.get();
}

}  // namespace

BIO* TlsInbox::make_bio() {
  const BIO_METHOD* method = inbox_method();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio != nullptr) BIO_set_data(bio, this);
  return bio;
}

int TlsInbox::read(BIO* bio, char* out, std::size_t len, std::size_t* got) {
  BIO_clear_retry_flags(bio);
  *got = 0;
  if (begin_ < end_) {
    *got = std::min(len, end_ - begin_);
    std::memcpy(out, bytes_.data() + begin_, *got);
    begin_ += *got;
    if (begin_ == end_) begin_ = end_ = 0;
    return 1;
  }
  if (phase_ == InboxSocketPhase::Ended) return 0;
  // Drained: nothing new can be there without an edge. Filling: the pending
  // Asio read owns the socket's next bytes (reading past it would reorder them).
  if (phase_ != InboxSocketPhase::Unknown) {
    BIO_set_retry_read(bio);
    return 0;
  }
  ssize_t n;
  do {
    n = ::recv(fd_, out, len, 0);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    if (static_cast<std::size_t>(n) < len) enter(InboxSocketPhase::Drained);
    *got = static_cast<std::size_t>(n);
    return 1;
  }
  if (n == 0) {
    enter(InboxSocketPhase::Ended);
    return 0;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    enter(InboxSocketPhase::Drained);
    BIO_set_retry_read(bio);
  }
  return 0;
}

boost::asio::mutable_buffer TlsInbox::begin_fill() {
  enter(InboxSocketPhase::Filling);
  return boost::asio::buffer(bytes_.data() + end_, bytes_.size() - end_);
}

void TlsInbox::filled(std::size_t n, bool eof) {
  end_ += n;
  // A read that filled the room may have left more behind; OpenSSL's next
  // read takes it from the socket.
  if (eof) {
    enter(InboxSocketPhase::Ended);
  } else {
    enter(n < bytes_.size() ? InboxSocketPhase::Drained : InboxSocketPhase::Unknown);
  }
}

// An illegal move is a bug: logged, and the phase stays.
void TlsInbox::enter(InboxSocketPhase to) {
  common::checked_move(phase_, to, [&](std::string_view from, std::string_view next) {
    spdlog::error("TLS inbox on fd {}: illegal socket phase transition {} -> {}", fd_, from, next);
  });
}

}  // namespace ancm::server
