// The worker's registry of live connections: a drain reaches every
// connection, the ones added after it began too (a TLS handshake or the
// first bytes can outlast the start of a drain).
#include <gtest/gtest.h>

#include <memory>

#include "connection_registry.h"  // server/src

namespace ancm::test {
namespace {

struct CountingConnection final : server::Drainable {
  void drain() override { ++drains; }
  int drains = 0;
};

TEST(ConnectionRegistryTest, DrainReachesEveryLiveConnectionOnce) {
  server::ConnectionRegistry registry;
  auto a = std::make_shared<CountingConnection>();
  auto b = std::make_shared<CountingConnection>();
  registry.add(a);
  registry.add(b);
  EXPECT_EQ(a->drains, 0);
  registry.drain_all();
  EXPECT_EQ(a->drains, 1);
  EXPECT_EQ(b->drains, 1);
  EXPECT_EQ(registry.size(), 2u);
  registry.remove(a.get());
  EXPECT_EQ(registry.size(), 1u);
}

TEST(ConnectionRegistryTest, AConnectionAddedAfterTheDrainBeganIsDrainedAsItIsAdded) {
  server::ConnectionRegistry registry;
  registry.drain_all();
  auto late = std::make_shared<CountingConnection>();
  registry.add(late);
  EXPECT_EQ(late->drains, 1);
}

}  // namespace
}  // namespace ancm::test
