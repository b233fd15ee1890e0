// The out-of-process pool's keep/take/close rules, over real loopback sockets:
// whether a connection is kept is seen from the child's side, which reads EOF
// when the pool closes its end.
#include "connection_pool.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <thread>

namespace ancm::outofproc {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// A listening "child" and the pool's connections to it.
class ConnectionPoolTest : public ::testing::Test {
 protected:
  ConnectionPoolTest() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {}

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // A pool connection to the child, and the child's end of it.
  std::pair<ConnectionPool::Connection, tcp::socket> connect() {
    auto connection = std::make_unique<UpstreamConnection>(io_.get_executor());
    connection->socket.connect(acceptor_.local_endpoint());
    tcp::socket child_end = acceptor_.accept();
    return {std::move(connection), std::move(child_end)};
  }

  // Whether the pool closed its end: the child reads EOF. The wait is a
  // safety net; a connection that stays open is seen as soon as it expires.
  static bool closed_by_pool(tcp::socket& child_end, std::chrono::milliseconds wait = 10s) {
    pollfd fd{child_end.native_handle(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(wait.count())) != 1) return false;
    char byte;
    return ::recv(child_end.native_handle(), &byte, 1, MSG_DONTWAIT) == 0;
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  ConnectionPool pool_;
};

TEST_F(ConnectionPoolTest, TheSameClientTakesBackItsIdleConnectionForThatPort) {
  auto client = pool_.new_client();
  auto [connection, child_end] = connect();
  UpstreamConnection* kept = connection.get();
  client->give_back(port(), std::move(connection));

  auto taken = client->take(port());
  EXPECT_EQ(taken.get(), kept);
  EXPECT_EQ(client->take(port()), nullptr);  // taken once
  EXPECT_FALSE(closed_by_pool(child_end, 0ms));
}

// An HTTP/2 client connection has several requests in flight: each one's
// connection is kept for the client's next ones (newest first), up to 16.
TEST_F(ConnectionPoolTest, AClientKeepsAConnectionPerRequestItHadInFlightUpTo16) {
  auto client = pool_.new_client();
  std::vector<tcp::socket> child_ends;
  std::vector<UpstreamConnection*> kept;
  for (int i = 0; i < 17; ++i) {
    auto [connection, child_end] = connect();
    kept.push_back(connection.get());
    client->give_back(port(), std::move(connection));
    child_ends.push_back(std::move(child_end));
  }
  EXPECT_TRUE(closed_by_pool(child_ends.front()));  // the oldest, past 16
  EXPECT_EQ(client->take(port()).get(), kept.back());
  EXPECT_EQ(client->take(port()).get(), kept[15]);
  EXPECT_FALSE(closed_by_pool(child_ends[1], 0ms));
}

TEST_F(ConnectionPoolTest, AnotherClientNeverGetsIt) {
  auto first = pool_.new_client();
  auto second = pool_.new_client();
  auto [connection, child_end] = connect();
  first->give_back(port(), std::move(connection));

  EXPECT_EQ(second->take(port()), nullptr);
  EXPECT_NE(first->take(port()), nullptr);
}

// The child was replaced (a new port): the connection to the old one is of
// no use any more and must not stay open until the client connection closes.
TEST_F(ConnectionPoolTest, AConnectionToAnotherPortIsClosedWhenTheClientAsksForANewOne) {
  auto client = pool_.new_client();
  auto [connection, child_end] = connect();
  client->give_back(port(), std::move(connection));

  EXPECT_EQ(client->take(static_cast<uint16_t>(port() + 1)), nullptr);
  EXPECT_TRUE(closed_by_pool(child_end));
  EXPECT_EQ(client->take(port()), nullptr);
}

// A client connection that closed leaves its idle connection to new client
// connections (no one can wait behind it any more); it keeps none itself.
TEST_F(ConnectionPoolTest, AClosedClientsConnectionServesTheNextClientThatHasNone) {
  auto client = pool_.new_client();
  auto [connection, child_end] = connect();
  UpstreamConnection* kept = connection.get();
  client->give_back(port(), std::move(connection));

  client->close();
  EXPECT_FALSE(closed_by_pool(child_end, 0ms));
  auto [later, later_child_end] = connect();
  client->give_back(port(), std::move(later));
  EXPECT_TRUE(closed_by_pool(later_child_end));

  auto next = pool_.new_client();
  auto taken = next->take(port());
  EXPECT_EQ(taken.get(), kept);
  EXPECT_EQ(pool_.new_client()->take(port()), nullptr);  // handed out once
}

TEST_F(ConnectionPoolTest, AClientThatEndsWithoutClosingLeavesItsConnectionToo) {
  auto [connection, child_end] = connect();
  UpstreamConnection* kept = connection.get();
  pool_.new_client()->give_back(port(), std::move(connection));  // the client ends here

  EXPECT_EQ(pool_.new_client()->take(port()).get(), kept);
}

// The client's own idle connection was closed by the child (its keep-alive
// timeout): the pool falls through to what closed clients left rather than
// answering "none" and costing a fresh connect.
TEST_F(ConnectionPoolTest, AClientWhoseOwnConnectionTheChildClosedTakesAnOrphan) {
  auto client = pool_.new_client();
  auto [own, own_child_end] = connect();
  client->give_back(port(), std::move(own));
  auto [orphan, orphan_child_end] = connect();
  UpstreamConnection* left = orphan.get();
  auto gone = pool_.new_client();
  gone->give_back(port(), std::move(orphan));
  gone->close();
  own_child_end.close();  // the child closed the client's own one
  // Past the moment a connection back from a clean exchange is trusted unchecked.
  std::this_thread::sleep_for(600ms);
  auto taken = client->take(port());
  EXPECT_EQ(taken.get(), left);
  EXPECT_FALSE(closed_by_pool(orphan_child_end, 0ms));
  EXPECT_EQ(client->take(port()), nullptr);  // the stale one was dropped, not kept
}

// Kept like nginx's "keepalive 64": past that the oldest closes.
TEST_F(ConnectionPoolTest, AtMost64ConnectionsOfClosedClientsAreKept) {
  std::vector<tcp::socket> child_ends;
  for (int i = 0; i < 65; ++i) {
    auto [connection, child_end] = connect();
    pool_.new_client()->give_back(port(), std::move(connection));
    child_ends.push_back(std::move(child_end));
  }
  EXPECT_TRUE(closed_by_pool(child_ends.front()));
  EXPECT_FALSE(closed_by_pool(child_ends.back(), 0ms));
}

// One to a replaced child (another port) is closed, not handed out.
TEST_F(ConnectionPoolTest, AClosedClientsConnectionToAnotherPortIsClosedNotTaken) {
  auto [connection, child_end] = connect();
  pool_.new_client()->give_back(port(), std::move(connection));

  EXPECT_EQ(pool_.new_client()->take(static_cast<uint16_t>(port() + 1)), nullptr);
  EXPECT_TRUE(closed_by_pool(child_end));
}

TEST_F(ConnectionPoolTest, ForgettingAPortAndClearingThePoolCloseIdleConnections) {
  auto client = pool_.new_client();
  auto [connection, child_end] = connect();
  client->give_back(port(), std::move(connection));
  pool_.forget(port());
  EXPECT_TRUE(closed_by_pool(child_end));

  // Those closed clients left go too.
  auto [orphan, orphan_child_end] = connect();
  pool_.new_client()->give_back(port(), std::move(orphan));
  pool_.forget(port());
  EXPECT_TRUE(closed_by_pool(orphan_child_end));
  auto [orphan2, orphan2_child_end] = connect();
  pool_.new_client()->give_back(port(), std::move(orphan2));

  auto [again, again_child_end] = connect();
  client->give_back(port(), std::move(again));
  pool_.clear();
  EXPECT_TRUE(closed_by_pool(again_child_end));
  EXPECT_TRUE(closed_by_pool(orphan2_child_end));

  // The application stopped: nothing is kept from now on.
  auto [after, after_child_end] = connect();
  client->give_back(port(), std::move(after));
  EXPECT_TRUE(closed_by_pool(after_child_end));
}

}  // namespace
}  // namespace ancm::outofproc
