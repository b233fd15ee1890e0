// TlsInbox, the read BIO under a TlsSocket, on a real socket pair: when it
// reads the socket itself, when it tells OpenSSL to wait instead, and the
// FIN. The Asio read a wait becomes is played here by recv(2) into the room
// begin_fill() gives.
#include "tls_inbox.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>

#include "ancm/common/unique_fd.h"
#include "state_table_checks.h"

namespace ancm::server {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

class TlsInboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    ours_ = common::UniqueFd(fds[0]);
    peer_ = common::UniqueFd(fds[1]);
    inbox_ = std::make_unique<TlsInbox>(ours_.get());
    bio_.reset(inbox_->make_bio());
    ASSERT_NE(bio_, nullptr);
  }

  void peer_sends(std::string_view bytes) {
    ASSERT_EQ(::send(peer_.get(), bytes.data(), bytes.size(), 0),
              static_cast<ssize_t>(bytes.size()));
  }

  // What one BIO read gives (up to want bytes); retry tells whether OpenSSL
  // was told to wait.
  std::string bio_reads(std::size_t want, bool* retry = nullptr) {
    std::string out(want, '\0');
    std::size_t got = 0;
    int ok = BIO_read_ex(bio_.get(), out.data(), out.size(), &got);
    if (retry != nullptr) *retry = ok == 0 && BIO_should_retry(bio_.get());
    out.resize(ok == 1 ? got : 0);
    return out;
  }

  // The Asio read a wait becomes, done at once.
  std::size_t fill() {
    auto room = inbox_->begin_fill();
    ssize_t n = ::recv(ours_.get(), room.data(), room.size(), 0);
    std::size_t got = n > 0 ? static_cast<std::size_t>(n) : 0;
    inbox_->filled(got, n == 0);
    return got;
  }

  common::UniqueFd ours_, peer_;
  std::unique_ptr<TlsInbox> inbox_;
  std::unique_ptr<BIO, BioFree> bio_;
};

TEST_F(TlsInboxTest, AShortReadMeansTheNextReadWaitsForTheAsioRead) {
  peer_sends("abc");
  EXPECT_EQ(bio_reads(100), "abc");
  // More arrived, but the socket read short: OpenSSL waits; the bytes come
  // with the Asio read the wait becomes, not with another read(2) here.
  peer_sends("def");
  bool retry = false;
  EXPECT_EQ(bio_reads(100, &retry), "");
  EXPECT_TRUE(retry);
  EXPECT_EQ(fill(), 3u);
  EXPECT_EQ(bio_reads(2), "de");
  EXPECT_EQ(bio_reads(100), "f");
}

TEST_F(TlsInboxTest, AnEmptySocketTellsOpenSslToWait) {
  bool retry = false;
  EXPECT_EQ(bio_reads(100, &retry), "");
  EXPECT_TRUE(retry);
  EXPECT_FALSE(BIO_eof(bio_.get()));
  peer_sends("late");
  EXPECT_EQ(bio_reads(100, &retry), "");
  EXPECT_TRUE(retry) << "drained: no read(2) until the Asio read";
  EXPECT_EQ(fill(), 4u);
  EXPECT_EQ(bio_reads(100), "late");
}

TEST_F(TlsInboxTest, AFullFillLeavesTheRestToOpenSslsOwnRead) {
  std::string sent(TlsInbox::kBytes + 10, 'x');
  sent.back() = 'y';
  peer_sends(sent);
  EXPECT_EQ(fill(), TlsInbox::kBytes);
  std::string got = bio_reads(64 * 1024);
  EXPECT_EQ(got.size(), TlsInbox::kBytes) << "the inbox's bytes first";
  got += bio_reads(64 * 1024);
  EXPECT_EQ(got, sent) << "then the socket's, in order";
}

TEST_F(TlsInboxTest, NothingIsReadPastAPendingFill) {
  auto room = inbox_->begin_fill();
  peer_sends("next");
  bool retry = false;
  EXPECT_EQ(bio_reads(100, &retry), "");
  EXPECT_TRUE(retry) << "the pending read owns the socket's next bytes";
  ssize_t n = ::recv(ours_.get(), room.data(), room.size(), 0);
  ASSERT_EQ(n, 4);
  inbox_->filled(4, false);
  EXPECT_EQ(bio_reads(100), "next");
}

TEST_F(TlsInboxTest, ThePeersFinIsEofOnceTheBytesBeforeItAreRead) {
  peer_sends("bye");
  ASSERT_EQ(::shutdown(peer_.get(), SHUT_WR), 0);
  EXPECT_EQ(fill(), 3u);
  EXPECT_FALSE(BIO_eof(bio_.get()));
  EXPECT_EQ(bio_reads(100), "bye");
  EXPECT_EQ(fill(), 0u);
  bool retry = true;
  EXPECT_EQ(bio_reads(100, &retry), "");
  EXPECT_FALSE(retry);
  EXPECT_TRUE(BIO_eof(bio_.get()));
}

TEST_F(TlsInboxTest, AFinOpenSslReadsItselfIsEofToo) {
  ASSERT_EQ(::shutdown(peer_.get(), SHUT_WR), 0);
  bool retry = true;
  EXPECT_EQ(bio_reads(100, &retry), "");
  EXPECT_FALSE(retry);
  EXPECT_TRUE(BIO_eof(bio_.get()));
}

TEST(InboxSocketPhaseTable, FillsStartDrainedOrUnknownAndTheFinIsFinal) {
  using P = InboxSocketPhase;
  test::expect_path({P::Unknown, P::Drained, P::Filling, P::Unknown, P::Filling, P::Drained,
                     P::Filling, P::Ended});
  test::expect_path({P::Unknown, P::Ended});
  EXPECT_FALSE(is_legal(P::Drained, P::Unknown)) << "only a fill ends Drained";
  EXPECT_FALSE(is_legal(P::Drained, P::Ended)) << "a drained socket's FIN comes with a fill";
  EXPECT_FALSE(is_legal(P::Filling, P::Filling)) << "one Asio read at a time";
  for (P to : {P::Unknown, P::Drained, P::Filling, P::Ended}) {
    EXPECT_FALSE(is_legal(P::Ended, to)) << name(to);
  }
}

TEST_F(TlsInboxTest, ReportsTheSocketsDescriptor) {
  int fd = -1;
  EXPECT_EQ(BIO_get_fd(bio_.get(), &fd), ours_.get());
  EXPECT_EQ(fd, ours_.get());
}

}  // namespace
}  // namespace ancm::server
