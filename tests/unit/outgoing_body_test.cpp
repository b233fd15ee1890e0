// The response body queue: what one write puts on the wire for each framing.
#include "outgoing_body.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <string>

namespace ancm::server {
namespace {

// What the socket would receive from one write.
std::string wire(const std::vector<boost::asio::const_buffer>& buffers) {
  std::string out;
  for (const auto& b : buffers) out.append(static_cast<const char*>(b.data()), b.size());
  return out;
}

TEST(OutgoingBody, SmallBodyIsCopiedBehindTheHeadInOneBuffer) {
  OutgoingBody body;
  body.append("Hello ");
  body.append("World!");
  EXPECT_EQ(body.pending_bytes(), 12u);
  std::string head = "HEAD\r\n\r\n";
  const auto& buffers = body.begin_write(head, Framing::ContentLength, false);
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_EQ(wire(buffers), "HEAD\r\n\r\nHello World!");
  EXPECT_TRUE(body.empty());
  EXPECT_EQ(body.pending_bytes(), 0u);
  body.end_write();
}

TEST(OutgoingBody, LargeBodyGoesOutAsItsOwnPiecesWithoutCopy) {
  OutgoingBody body;
  std::string big(64 * 1024, 'x');
  body.append(big);
  body.append(std::string(10, 'y'));
  std::string head = "H";
  const auto& buffers = body.begin_write(head, Framing::ContentLength, false);
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(wire(buffers), "H" + big + std::string(10, 'y'));
  body.end_write();
}

TEST(OutgoingBody, ChunkedFramesAllPendingPiecesAsOneChunkAndCanEndTheBody) {
  OutgoingBody body;
  body.append("abc");
  body.append("defgh");
  std::string head;
  EXPECT_EQ(wire(body.begin_write(head, Framing::Chunked, false)), "8\r\nabcdefgh\r\n");
  body.end_write();
  std::string next;
  EXPECT_EQ(wire(body.begin_write(next, Framing::Chunked, true)), "0\r\n\r\n");
  body.end_write();

  std::string big(70000, 'z');
  body.append(big);
  std::string last;
  EXPECT_EQ(wire(body.begin_write(last, Framing::Chunked, true)),
            "11170\r\n" + big + "\r\n0\r\n\r\n");
  body.end_write();
}

TEST(OutgoingBody, WithoutFramingTheBodyIsDropped) {
  OutgoingBody body;  // HEAD responses, 204, 304
  body.append("ignored");
  std::string head = "HEAD";
  EXPECT_EQ(wire(body.begin_write(head, Framing::None, false)), "HEAD");
  EXPECT_TRUE(body.empty());
  body.end_write();
}

TEST(OutgoingBody, EmptyPiecesAreIgnored) {
  OutgoingBody body;
  body.append("");
  EXPECT_TRUE(body.empty());
  std::string head;
  EXPECT_TRUE(body.begin_write(head, Framing::Chunked, false).empty());
  body.end_write();
}

TEST(OutgoingBody, BorrowedBytesAreSentWhereTheyLieInOrderWithOwnedOnes) {
  OutgoingBody body;
  std::string lent(64 * 1024, 'b');
  body.append("owned ");
  body.append_borrowed(lent.data(), lent.size());
  EXPECT_EQ(body.pending_bytes(), 6u + lent.size());
  std::string head;
  const auto& buffers = body.begin_write(head, Framing::ContentLength, false);
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[1].data(), lent.data());  // not a copy
  EXPECT_EQ(wire(buffers), "owned " + lent);
  body.end_write();
}

TEST(OutgoingBody, ClearDropsWhatWasNotWritten) {
  OutgoingBody body;
  body.append("never sent");
  body.clear();
  EXPECT_TRUE(body.empty());
  EXPECT_EQ(body.pending_bytes(), 0u);
  std::string head;
  EXPECT_TRUE(body.begin_write(head, Framing::ContentLength, false).empty());
  body.end_write();
}

}  // namespace
}  // namespace ancm::server
