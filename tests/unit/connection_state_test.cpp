// The front end's Connection state tables (server/src/connection_state.*):
// which moves are legal, walked along the paths a connection really takes,
// and the moves that would be bugs.
#include "connection_state.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "state_table_checks.h"

namespace ancm::server {
namespace {

using CP = ConnectionPhase;
using RP = RequestPhase;
using RS = ResponseProgress;

const std::vector<CP> kPhases = {CP::Idle,           CP::ReadingHead, CP::InRequest,
                                 CP::Upgrading,      CP::Upgraded,    CP::Resuming,
                                 CP::DiscardingBody, CP::Closing,     CP::Closed};
const std::vector<RP> kRequestPhases = {RP::None, RP::InHandler, RP::Completing};
const std::vector<RS> kProgress = {RS::NotStarted,       RS::HeadOpen, RS::ServerAnswer,
                                   RS::ServerAnswerSent, RS::HeadSent, RS::LastChunkSent};

using ancm::test::expect_path;

TEST(ConnectionStateTest, EveryPhaseMayEndWithTheSocketClosed) {
  for (auto phase : kPhases) EXPECT_TRUE(is_legal(phase, CP::Closed)) << name(phase);
}

TEST(ConnectionStateTest, ClosedIsTheEnd) {
  for (auto phase : kPhases) {
    if (phase == CP::Closed) continue;
    EXPECT_FALSE(is_legal(CP::Closed, phase)) << name(phase);
    EXPECT_FALSE(is_legal(CP::Closing, phase)) << "a FIN is not taken back: " << name(phase);
  }
}

TEST(ConnectionStateTest, KeepAlivePathsAreLegal) {
  // Pipelined: the next head is already buffered when the request ends.
  expect_path({CP::Idle, CP::ReadingHead, CP::InRequest, CP::ReadingHead, CP::InRequest, CP::Idle});
  // The watch's read was pending: cancelled, then the rest of the body is discarded.
  expect_path({CP::Idle, CP::ReadingHead, CP::InRequest, CP::Resuming, CP::DiscardingBody,
               CP::ReadingHead, CP::InRequest, CP::Idle, CP::Closed});
  // No keep-alive: FIN, then the rest is read until EOF.
  expect_path({CP::Idle, CP::ReadingHead, CP::InRequest, CP::Closing, CP::Closed});
  expect_path({CP::InRequest, CP::DiscardingBody, CP::Closing, CP::Closed});
}

TEST(ConnectionStateTest, UpgradePathIsLegal) {
  expect_path({CP::Idle, CP::ReadingHead, CP::InRequest, CP::Upgrading, CP::Upgraded, CP::Closed});
}

TEST(ConnectionStateTest, PhasesThatSkipTheirStepsAreIllegal) {
  EXPECT_FALSE(is_legal(CP::Idle, CP::InRequest)) << "a request needs its head read";
  EXPECT_FALSE(is_legal(CP::ReadingHead, CP::Idle));
  EXPECT_FALSE(is_legal(CP::InRequest, CP::Upgraded)) << "the 101 goes out first";
  EXPECT_FALSE(is_legal(CP::Upgraded, CP::InRequest)) << "no HTTP after an upgrade";
  EXPECT_FALSE(is_legal(CP::Upgrading, CP::Closing)) << "an upgrade ends upgraded or closed";
  EXPECT_FALSE(is_legal(CP::Resuming, CP::InRequest));
  EXPECT_FALSE(is_legal(CP::InRequest, CP::InRequest));
  EXPECT_FALSE(is_legal(CP::Closing, CP::Closing));
}

TEST(ConnectionStateTest, RequestPhaseIsACycle) {
  expect_path({RP::None, RP::InHandler, RP::Completing, RP::None, RP::InHandler});
  EXPECT_FALSE(is_legal(RP::InHandler, RP::None)) << "a request ends through Completing";
  EXPECT_FALSE(is_legal(RP::None, RP::Completing)) << "nothing to complete";
  EXPECT_FALSE(is_legal(RP::Completing, RP::InHandler)) << "complete() is final";
  for (auto phase : kRequestPhases) EXPECT_FALSE(is_legal(phase, phase)) << name(phase);
}

TEST(ConnectionStateTest, ResponseProgressMovesForwardThenResets) {
  expect_path({RS::NotStarted, RS::HeadOpen, RS::HeadSent, RS::LastChunkSent, RS::NotStarted});
  expect_path(
      {RS::NotStarted, RS::HeadOpen, RS::ServerAnswer, RS::ServerAnswerSent, RS::NotStarted});
  // A request may end however far its response went (abort, a closed socket).
  for (auto progress : kProgress) {
    if (progress == RS::NotStarted) continue;
    EXPECT_TRUE(is_legal(progress, RS::NotStarted)) << name(progress);
  }
}

TEST(ConnectionStateTest, AHeadIsSentOnce) {
  EXPECT_FALSE(is_legal(RS::HeadSent, RS::HeadSent)) << "a second head";
  EXPECT_FALSE(is_legal(RS::HeadSent, RS::HeadOpen)) << "a sent head cannot change";
  EXPECT_FALSE(is_legal(RS::NotStarted, RS::HeadSent)) << "no request, no head";
  EXPECT_FALSE(is_legal(RS::HeadSent, RS::ServerAnswer)) << "too late for the server's answer";
  EXPECT_FALSE(is_legal(RS::ServerAnswer, RS::HeadSent)) << "the handler's head is replaced";
  EXPECT_FALSE(is_legal(RS::LastChunkSent, RS::HeadSent));
  EXPECT_FALSE(is_legal(RS::HeadOpen, RS::LastChunkSent)) << "the head comes first";
}

TEST(ConnectionStateTest, NamesAreDistinct) {
  std::set<std::string> phases, requests, progress;
  for (auto value : kPhases) phases.emplace(name(value));
  for (auto value : kRequestPhases) requests.emplace(name(value));
  for (auto value : kProgress) progress.emplace(name(value));
  EXPECT_EQ(phases.size(), kPhases.size());
  EXPECT_EQ(requests.size(), kRequestPhases.size());
  EXPECT_EQ(progress.size(), kProgress.size());
  EXPECT_EQ(phases.count("?"), 0u);
}

}  // namespace
}  // namespace ancm::server
