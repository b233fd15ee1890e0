// --listen URLs as Kestrel reads them (wildcards, localhost, host names),
// ASPNETCORE_URLS's list, and what binding makes of them, on real sockets.
#include "ancm/server/listen_address.h"

#include <gtest/gtest.h>

#include "ancm/server/command_line.h"

namespace ancm::server {
namespace {

std::string host_of(const std::string& url) {
  auto parsed = parse_listen_url(url);
  return parsed.ok() ? parsed.value().host : "error: " + parsed.error();
}

TEST(ListenAddress, KestrelWildcardsAndNamesMeanEveryAddress) {
  EXPECT_EQ(host_of("http://*:80"), kAnyAddress);
  EXPECT_EQ(host_of("http://+:80"), kAnyAddress);
  EXPECT_EQ(host_of("http://[::]:80"), kAnyAddress);
  EXPECT_EQ(host_of("https://contoso.example:443"), kAnyAddress);
  EXPECT_EQ(host_of("http://LOCALHOST:80"), kLocalhost);
  EXPECT_EQ(host_of("http://0.0.0.0:80"), "0.0.0.0");
  EXPECT_EQ(host_of("http://[::1]:80"), "::1");
}

TEST(ListenAddress, RefusesWhatIsNoHost) {
  EXPECT_NE(host_of("http://:80").find("missing host"), std::string::npos);
  EXPECT_NE(host_of("http://a b:80").find("not a host name"), std::string::npos);
  EXPECT_NE(host_of("http://*:80/app").find("port"), std::string::npos);
}

TEST(ListenAddress, SplitsAspNetCoreUrls) {
  EXPECT_EQ(split_urls("http://*:80; https://+:443;;"),
            (std::vector<std::string>{"http://*:80", "https://+:443"}));
  EXPECT_TRUE(split_urls("").empty());
  auto parsed =
      parse_run_arguments({"app", "--urls", "http://a:1;http://b:2", "--listen", "http://c:3"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().listen,
            (std::vector<std::string>{"http://a:1", "http://b:2", "http://c:3"}));
}

TEST(ListenAddress, LocalhostBindsBothLoopbacksOnOnePort) {
  auto fds = bind_listeners(parse_listen_url("http://localhost:0").value());
  ASSERT_EQ(fds.size(), ipv6_available() ? 2u : 1u);
  auto v4 = local_address(fds[0].get());
  EXPECT_EQ(v4.host, "127.0.0.1");
  if (fds.size() == 2) {
    auto v6 = local_address(fds[1].get());
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, v4.port);
  }
}

TEST(ListenAddress, EveryAddressIsOneSocket) {
  auto fds = bind_listeners(parse_listen_url("http://*:0").value());
  ASSERT_EQ(fds.size(), 1u);
  EXPECT_EQ(local_address(fds[0].get()).host, ipv6_available() ? "::" : "0.0.0.0");
}

}  // namespace
}  // namespace ancm::server
