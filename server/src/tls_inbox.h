// Where OpenSSL reads a TLS connection's bytes from (TlsSocket's read BIO):
// first what an Asio read brought into a small buffer here, then the socket
// itself, until a read finds it empty. From then on OpenSSL is told to wait
// without another read(2), and TlsSocket waits with an Asio read into
// begin_fill(). Waiting with a read, not a readiness wait, is the point: Asio
// re-arms a readiness wait with epoll_ctl every time (edge-triggered epoll),
// while a read that finds nothing waits in epoll as registered.
//
// Used on the socket's executor only, one Asio read at a time (filling()).
// Lives at one address while OpenSSL holds its BIO (TlsSocket owns it
// through a pointer).
#pragma once

#include <openssl/bio.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <string_view>

namespace ancm::server {

// What an inbox knows of the socket under it: Unknown (OpenSSL may read it
// itself), Drained (a read came back empty or short: the next bytes come
// with an epoll edge), Filling (an Asio read into the inbox is pending and
// owns the socket's next bytes), Ended (the peer's FIN was read). A fill
// starts from Drained, or from Unknown when OpenSSL wants bytes the BIO
// never refused; it ends in any other phase.
enum class InboxSocketPhase { Unknown, Drained, Filling, Ended };

constexpr bool is_legal(InboxSocketPhase from, InboxSocketPhase to) {
  using P = InboxSocketPhase;
  return (from == P::Unknown && to != P::Unknown) || (from == P::Drained && to == P::Filling) ||
         (from == P::Filling && to != P::Filling);
}

constexpr std::string_view name(InboxSocketPhase phase) {
  switch (phase) {
    case InboxSocketPhase::Unknown:
      return "Unknown";
    case InboxSocketPhase::Drained:
      return "Drained";
    case InboxSocketPhase::Filling:
      return "Filling";
    case InboxSocketPhase::Ended:
      return "Ended";
  }
  return "?";
}

class TlsInbox {
 public:
  // What one Asio read may bring: a request's records usually, a ClientHello.
  // More waits in the socket for OpenSSL's own reads.
  static constexpr std::size_t kBytes = 2048;

  explicit TlsInbox(int fd) : fd_(fd) {}
  TlsInbox(const TlsInbox&) = delete;
  TlsInbox& operator=(const TlsInbox&) = delete;

  // A new BIO reading this inbox (null when OpenSSL is out of memory); the
  // SSL that takes it (SSL_set_bio) frees it. BIO_get_fd reports fd.
  BIO* make_bio();

  // OpenSSL's read through the BIO: up to len bytes into out, *got set.
  // 1 with bytes; 0 with BIO_should_retry when OpenSSL must wait, or at the
  // peer's FIN (BIO_eof), or on an error (errno says which).
  int read(BIO* bio, char* out, std::size_t len, std::size_t* got);

  // The Asio read a wait becomes: begin_fill() gives the room it reads into,
  // filled() what it brought (eof: the peer's FIN).
  bool filling() const { return phase_ == InboxSocketPhase::Filling; }
  boost::asio::mutable_buffer begin_fill();
  void filled(std::size_t n, bool eof);

  bool at_eof() const { return phase_ == InboxSocketPhase::Ended && begin_ == end_; }
  std::size_t buffered() const { return end_ - begin_; }
  int fd() const { return fd_; }

 private:
  void enter(InboxSocketPhase to);

  int fd_;
  std::array<char, kBytes> bytes_{};
  std::size_t begin_ = 0, end_ = 0;
  InboxSocketPhase phase_ = InboxSocketPhase::Unknown;
};

}  // namespace ancm::server
