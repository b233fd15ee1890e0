// The HTTP/2 stream's state tables (server/src/http2_stream_state.*): which
// moves of a stream's request and response phases are legal.
#include "http2_stream_state.h"

#include <gtest/gtest.h>

#include "first_bytes.h"
#include "first_head_deadline.h"
#include "http2_session_state.h"
#include "state_table_checks.h"

namespace ancm::test {
namespace {

using server::Http2RequestPhase;
using server::Http2ResponsePhase;
using RP = Http2RequestPhase;
using SP = Http2ResponsePhase;

TEST(Http2StreamStateTest, RequestPhaseIsACycleThroughThePool) {
  expect_path({RP::Free, RP::ReceivingHead, RP::InHandler, RP::Ended, RP::Free});
  expect_path({RP::Free, RP::ReceivingHead, RP::Free});  // closed before its head ended
  expect_path({RP::Free, RP::ReceivingHead, RP::Refused, RP::Free});  // the server answered
}

TEST(Http2StreamStateTest, ARefusedHeadNeverReachesAHandler) {
  EXPECT_FALSE(is_legal(RP::Refused, RP::InHandler));
  EXPECT_FALSE(is_legal(RP::Refused, RP::Ended));
  EXPECT_FALSE(is_legal(RP::InHandler, RP::Refused));
  expect_path({SP::NotStarted, SP::ServerAnswer, SP::BodyEnded, SP::NotStarted});
  expect_path({SP::NotStarted, SP::ServerAnswer, SP::Reset, SP::NotStarted});  // the client reset
}

TEST(Http2StreamStateTest, AStreamIsNotReusedWhileItsHandlerOwnsIt) {
  EXPECT_FALSE(is_legal(RP::InHandler, RP::Free));
  EXPECT_FALSE(is_legal(RP::Free, RP::InHandler));
  EXPECT_FALSE(is_legal(RP::Ended, RP::InHandler));
}

TEST(Http2StreamStateTest, ResponsePathsAreLegal) {
  expect_path({SP::NotStarted, SP::HeadOpen, SP::HeadSubmitted, SP::BodyEnded, SP::NotStarted});
  expect_path({SP::NotStarted, SP::HeadOpen, SP::BodyEnded});  // complete() with no body
  expect_path({SP::NotStarted, SP::HeadOpen, SP::ServerAnswer, SP::BodyEnded});  // 413
  expect_path({SP::NotStarted, SP::HeadOpen, SP::HeadSubmitted, SP::Reset, SP::NotStarted});
}

TEST(Http2StreamStateTest, AHeadIsSubmittedOnceAndResetIsFinal) {
  EXPECT_FALSE(is_legal(SP::HeadSubmitted, SP::HeadOpen));
  EXPECT_FALSE(is_legal(SP::BodyEnded, SP::HeadSubmitted));
  EXPECT_FALSE(is_legal(SP::Reset, SP::Reset));
  EXPECT_FALSE(is_legal(SP::Reset, SP::BodyEnded));
  EXPECT_FALSE(is_legal(SP::NotStarted, SP::Reset));
}

TEST(Http2SessionStateTest, EveryPathEndsClosedAndClosedIsFinal) {
  using P = server::Http2SessionPhase;
  expect_path({P::Serving, P::Closed});
  expect_path({P::Serving, P::Refused, P::Closed});
  expect_path({P::Serving, P::TimedOut, P::Closed});
  expect_path({P::Serving, P::Refused, P::TimedOut, P::Closed});
  // A refusal during the linger does not start the phases over: one linger.
  EXPECT_FALSE(is_legal(P::TimedOut, P::Refused));
  EXPECT_FALSE(is_legal(P::Closed, P::Serving));
  EXPECT_FALSE(is_legal(P::Closed, P::Refused));
  EXPECT_FALSE(is_legal(P::Refused, P::Serving));
  EXPECT_FALSE(is_legal(P::TimedOut, P::Serving));
}

TEST(FirstBytesTest, TellsTheHttp2PrefaceFromAnythingElse) {
  using server::classify_first_bytes;
  using V = server::FirstBytesVerdict;
  EXPECT_EQ(classify_first_bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), V::Http2);
  EXPECT_EQ(classify_first_bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00"), V::Http2);
  EXPECT_EQ(classify_first_bytes("PRI * HTTP"), V::NeedMore);
  EXPECT_EQ(classify_first_bytes("P"), V::NeedMore);
  EXPECT_EQ(classify_first_bytes("GET / HTTP/1.1\r\n"), V::Http1);
  EXPECT_EQ(classify_first_bytes("PRI * HTTP/1.1\r\n"), V::Http1);
  EXPECT_EQ(classify_first_bytes("POST"), V::Http1);
}

TEST(FirstBytesTest, TheReaderEndsOnceHandedOnOrClosed) {
  using P = server::FirstBytesPhase;
  expect_path({P::Reading, P::Draining, P::HandedOn});
  expect_path({P::Reading, P::HandedOn});
  expect_path({P::Reading, P::Draining, P::Closed});
  expect_path({P::Reading, P::Closed});
  EXPECT_FALSE(is_legal(P::HandedOn, P::Closed));  // the protocol's object owns the stream
  EXPECT_FALSE(is_legal(P::Closed, P::HandedOn));  // a read that ends after the deadline
  EXPECT_FALSE(is_legal(P::Draining, P::Reading));
}

// The budget from accept: a step's timeout is cut to what is left of it, and
// once the first head is complete steps get their whole timeouts again.
TEST(FirstHeadDeadlineTest, CutsStepsToWhatIsLeftUntilTheFirstHeadIsMet) {
  using namespace std::chrono_literals;
  server::FirstHeadDeadline none;
  EXPECT_EQ(none.bound(30s), std::chrono::steady_clock::duration(30s));
  auto budget = server::FirstHeadDeadline::after(1s);
  EXPECT_LE(budget.bound(30s), std::chrono::steady_clock::duration(1s));
  EXPECT_LE(budget.bound(10ms), std::chrono::steady_clock::duration(10ms));
  auto spent = server::FirstHeadDeadline::after(-1s);
  EXPECT_EQ(spent.bound(30s), std::chrono::steady_clock::duration::zero());
  budget.met();
  EXPECT_EQ(budget.bound(30s), std::chrono::steady_clock::duration(30s));
}

}  // namespace
}  // namespace ancm::test
