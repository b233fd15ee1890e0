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

// ------------------------------------------------------------ unix: sockets

std::string unix_path_of(const std::string& url) {
  auto parsed = parse_listen_url(url);
  if (!parsed.ok()) return "error: " + parsed.error();
  return parsed.value().is_unix ? parsed.value().unix_path : "not unix";
}

TEST(ListenAddress, KestrelAndNginxUnixSocketForms) {
  auto kestrel = parse_listen_url("http://unix:/run/app/app.sock");
  ASSERT_TRUE(kestrel.ok()) << kestrel.error();
  EXPECT_TRUE(kestrel.value().is_unix);
  EXPECT_EQ(kestrel.value().unix_path, "/run/app/app.sock");
  EXPECT_FALSE(kestrel.value().tls);
  EXPECT_EQ(kestrel.value().url(), "http://unix:/run/app/app.sock");

  auto https = parse_listen_url("https://unix:/run/app.sock");
  ASSERT_TRUE(https.ok()) << https.error();
  EXPECT_TRUE(https.value().tls);
  EXPECT_EQ(https.value().url(), "https://unix:/run/app.sock");

  auto nginx = parse_listen_url("unix:/tmp/app.sock");  // nginx's: plain HTTP
  ASSERT_TRUE(nginx.ok()) << nginx.error();
  EXPECT_FALSE(nginx.value().tls);
  EXPECT_EQ(nginx.value().url(), "http://unix:/tmp/app.sock");

  // Kestrel reads "unix:" and a port as a host named unix: every address.
  EXPECT_EQ(host_of("http://unix:80"), kAnyAddress);
}

TEST(ListenAddress, RefusesUnixSocketPathsThatCannotBeBound) {
  EXPECT_NE(unix_path_of("http://unix:app.sock").find("must be absolute"), std::string::npos);
  EXPECT_NE(unix_path_of("unix:relative/app.sock").find("must be absolute"), std::string::npos);
  EXPECT_NE(unix_path_of("http://unix:").find("missing the socket path"), std::string::npos);
  EXPECT_NE(unix_path_of("unix:/run/").find("folder"), std::string::npos);
  EXPECT_NE(unix_path_of("http://unix:/tmp/a.sock:/base").find("':'"), std::string::npos);
  // sun_path holds 108 bytes with its NUL: 107 fit, 108 do not.
  std::string fits = "/" + std::string(106, 'a');
  EXPECT_EQ(unix_path_of("unix:" + fits), fits);
  auto too_long = unix_path_of("http://unix:/" + std::string(107, 'a'));
  EXPECT_NE(too_long.find("108 bytes long"), std::string::npos) << too_long;
  EXPECT_NE(too_long.find("at most 107"), std::string::npos) << too_long;
  // The URL is in the error, as for every other form.
  EXPECT_NE(unix_path_of("unix:x").find("'unix:x'"), std::string::npos);
}

TEST(ListenAddress, UnixSocketFlagsNeedAUnixListener) {
  auto parsed = parse_run_arguments({"app", "--listen", "unix:/tmp/a.sock", "--unix-socket-mode",
                                     "0600", "--unix-socket-group", "www-data"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().unix_socket.mode, 0600u);
  EXPECT_EQ(parsed.value().unix_socket.group, "www-data");
  EXPECT_EQ(
      parse_run_arguments({"app", "--urls", "http://unix:/tmp/a.sock"}).value().unix_socket.mode,
      0660u);  // the default
  auto without = parse_run_arguments({"app", "--unix-socket-mode", "0600"});
  ASSERT_FALSE(without.ok());
  EXPECT_NE(without.error().find("apply to unix: listeners"), std::string::npos);
  for (const char* bad : {"999", "0x1ff", "7777", "66", "rw-rw----", ""}) {
    auto refused =
        parse_run_arguments({"app", "--listen", "unix:/tmp/a.sock", "--unix-socket-mode", bad});
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error().find("octal mode"), std::string::npos) << refused.error();
  }
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
