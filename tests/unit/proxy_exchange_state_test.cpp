// The out-of-process proxy's state tables (outofproc/src/proxy_exchange_state.*):
// which moves are legal, walked along the paths an exchange really takes,
// and the moves that would be bugs.
#include "proxy_exchange_state.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "state_table_checks.h"

namespace ancm::outofproc {
namespace {

using RQ = RequestPhase;
using RS = ResponsePhase;
using RO = RequestOwnership;

const std::vector<RQ> kRequestPhases = {RQ::Connecting, RQ::Head, RQ::Body,
                                        RQ::Finishing,  RQ::Sent, RQ::Broken};
const std::vector<RS> kResponsePhases = {RS::Head,      RS::Body,   RS::Done,
                                         RS::Upgrading, RS::Tunnel, RS::TunnelClosed};
const std::vector<RO> kOwnerships = {RO::Owned, RO::Completed, RO::Aborted, RO::Failed};

using ancm::test::expect_path;

TEST(ProxyExchangeStateTest, ANormalExchangeIsLegal) {
  // A request with a body, then its response.
  expect_path({RQ::Connecting, RQ::Head, RQ::Body, RQ::Finishing, RQ::Sent});
  // A request that is its head alone.
  expect_path({RQ::Connecting, RQ::Finishing, RQ::Sent});
  expect_path({RS::Head, RS::Body, RS::Done});
  expect_path({RO::Owned, RO::Completed});
}

TEST(ProxyExchangeStateTest, AnUpgradeIsLegal) {
  expect_path({RQ::Connecting, RQ::Finishing, RQ::Sent});
  expect_path({RS::Head, RS::Upgrading, RS::Tunnel, RS::TunnelClosed});
  // The server gave no stream, or the client went away while the 101 went out.
  expect_path({RS::Head, RS::Upgrading, RS::TunnelClosed});
  expect_path({RO::Owned, RO::Completed});
}

TEST(ProxyExchangeStateTest, ARetryOnAFreshConnectionIsLegal) {
  // The kept connection failed before any of the body was taken: the request goes again.
  expect_path(
      {RQ::Connecting, RQ::Head, RQ::Connecting, RQ::Head, RQ::Body, RQ::Finishing, RQ::Sent});
  expect_path({RQ::Connecting, RQ::Finishing, RQ::Connecting, RQ::Finishing, RQ::Sent});
  expect_path({RQ::Connecting, RQ::Finishing, RQ::Sent, RQ::Connecting, RQ::Finishing});
}

TEST(ProxyExchangeStateTest, ABrokenRequestBodyIsLegal) {
  expect_path({RQ::Connecting, RQ::Head, RQ::Body, RQ::Broken});
  expect_path({RO::Owned, RO::Aborted});
}

TEST(ProxyExchangeStateTest, AClientThatWentAwayIsLegal) {
  // However far the response went, the request is aborted.
  expect_path({RS::Head, RS::Body});
  expect_path({RO::Owned, RO::Aborted});
}

TEST(ProxyExchangeStateTest, AFailedStartIsLegal) {
  // No child, or none answered: the shim's error page.
  expect_path({RO::Owned, RO::Failed});
}

TEST(ProxyExchangeStateTest, ARequestIsNeverTakenBackOnceItsBodyWasRelayed) {
  EXPECT_FALSE(is_legal(RQ::Body, RQ::Connecting)) << "body bytes were taken from the client";
  EXPECT_FALSE(is_legal(RQ::Broken, RQ::Connecting));
  EXPECT_FALSE(is_legal(RQ::Connecting, RQ::Body)) << "the head goes first";
  EXPECT_FALSE(is_legal(RQ::Connecting, RQ::Sent)) << "nothing was written";
  EXPECT_FALSE(is_legal(RQ::Head, RQ::Sent)) << "the body is not sent yet";
  EXPECT_FALSE(is_legal(RQ::Finishing, RQ::Broken)) << "all of the body was read";
  EXPECT_FALSE(is_legal(RQ::Sent, RQ::Body));
  for (auto phase : kRequestPhases) {
    EXPECT_FALSE(is_legal(phase, phase)) << name(phase);
    EXPECT_FALSE(is_legal(RQ::Broken, phase)) << "Broken is the end: " << name(phase);
  }
}

TEST(ProxyExchangeStateTest, AResponseMovesForwardOnly) {
  EXPECT_FALSE(is_legal(RS::Body, RS::Head)) << "a second final head";
  EXPECT_FALSE(is_legal(RS::Head, RS::Done)) << "the head goes to the client first";
  EXPECT_FALSE(is_legal(RS::Body, RS::Upgrading)) << "a 101 comes instead of a final head";
  EXPECT_FALSE(is_legal(RS::Head, RS::Tunnel)) << "the 101 goes out first";
  EXPECT_FALSE(is_legal(RS::Done, RS::Body));
  EXPECT_FALSE(is_legal(RS::Tunnel, RS::Body)) << "no HTTP after an upgrade";
  for (auto phase : kResponsePhases) {
    EXPECT_FALSE(is_legal(phase, phase)) << name(phase);
    EXPECT_FALSE(is_legal(RS::Done, phase)) << "Done is the end: " << name(phase);
    EXPECT_FALSE(is_legal(RS::TunnelClosed, phase)) << "a closed tunnel stays closed";
  }
}

TEST(ProxyExchangeStateTest, TheRequestIsHandedBackOnce) {
  for (auto from : kOwnerships) {
    for (auto to : kOwnerships) {
      bool hand_back = from == RO::Owned && to != RO::Owned;
      EXPECT_EQ(is_legal(from, to), hand_back) << name(from) << " -> " << name(to);
    }
  }
}

TEST(ProxyExchangeStateTest, NamesAreDistinct) {
  std::set<std::string> requests, responses, ownerships;
  for (auto value : kRequestPhases) requests.emplace(name(value));
  for (auto value : kResponsePhases) responses.emplace(name(value));
  for (auto value : kOwnerships) ownerships.emplace(name(value));
  EXPECT_EQ(requests.size(), kRequestPhases.size());
  EXPECT_EQ(responses.size(), kResponsePhases.size());
  EXPECT_EQ(ownerships.size(), kOwnerships.size());
  EXPECT_EQ(requests.count("?") + responses.count("?") + ownerships.count("?"), 0u);
}

}  // namespace
}  // namespace ancm::outofproc
