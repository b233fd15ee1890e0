// Kestrel's listen addresses, through a real ancm-host and the test handler:
// * and + (every address), [::] (dual stack), localhost (both loopbacks on
// one port) and --urls with ASPNETCORE_URLS's ';'-separated list.
#include <gtest/gtest.h>

#include <regex>

#include "ancm/server/master.h"
#include "host_process.h"
#include "http_client.h"
#include "temp_dir.h"
#include "web_config.h"

namespace ancm::test {
namespace {

class ListenTest : public ::testing::Test {
 protected:
  std::unique_ptr<HostProcess> start(const std::string& listen,
                                     std::vector<std::string> extra_args = {}) {
    write_file(app_ / "web.config", WebConfig{}.text());
    HostOptions options;
    options.target = app_.path();
    options.listen = listen;
    options.extra_args = std::move(extra_args);
    options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  // The "listening on" URLs the master printed, in order.
  static std::vector<std::string> listening_urls(const HostProcess& host) {
    std::vector<std::string> urls;
    auto output = host.output();
    std::regex line(std::string(server::kListeningOn) + "(\\S+)");
    for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) {
      urls.push_back((*it)[1]);
    }
    return urls;
  }

  // GET / over address (numeric IPv4 or IPv6) answers.
  static bool answers(const std::string& address, uint16_t port) {
    HttpConnection connection(port, address);
    if (!connection.connected()) return false;
    connection.send(get_request("/"));
    auto response = connection.read_response();
    return response && response->status == 200;
  }

  TempDir app_{"ancm-listen"};
};

class EveryAddress : public ListenTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(EveryAddress, IsOneDualStackSocket) {
  auto host = start("http://" + GetParam() + ":0");
  auto urls = listening_urls(*host);
  ASSERT_EQ(urls.size(), 1u) << host->output();
  EXPECT_EQ(urls[0], "http://[::]:" + std::to_string(host->port()));
  EXPECT_TRUE(answers("127.0.0.1", host->port())) << host->output();
  EXPECT_TRUE(answers("::1", host->port())) << host->output();
}

INSTANTIATE_TEST_SUITE_P(KestrelForms, EveryAddress,
                         ::testing::Values("*", "+", "[::]", "any-host-name.example"));

TEST_F(ListenTest, LocalhostIsBothLoopbacksOnOnePort) {
  auto host = start("http://LocalHost:0");
  std::string port = std::to_string(host->port());
  EXPECT_EQ(listening_urls(*host),
            (std::vector<std::string>{"http://127.0.0.1:" + port, "http://[::1]:" + port}))
      << host->output();
  EXPECT_TRUE(answers("127.0.0.1", host->port())) << host->output();
  EXPECT_TRUE(answers("::1", host->port())) << host->output();
}

TEST_F(ListenTest, UrlsTakesASemicolonSeparatedList) {
  auto host = start("", {"--urls", "http://127.0.0.1:0; http://[::1]:0"});
  auto urls = listening_urls(*host);
  ASSERT_EQ(urls.size(), 2u) << host->output();
  std::smatch v4, v6;
  ASSERT_TRUE(std::regex_match(urls[0], v4, std::regex("http://127\\.0\\.0\\.1:([0-9]+)")));
  ASSERT_TRUE(std::regex_match(urls[1], v6, std::regex("http://\\[::1\\]:([0-9]+)")));
  EXPECT_TRUE(answers("127.0.0.1", static_cast<uint16_t>(std::stoi(v4[1])))) << host->output();
  EXPECT_TRUE(answers("::1", static_cast<uint16_t>(std::stoi(v6[1])))) << host->output();
  // Only IPv6 on the second: it is not the dual-stack [::].
  EXPECT_FALSE(answers("127.0.0.1", static_cast<uint16_t>(std::stoi(v6[1]))));
}

}  // namespace
}  // namespace ancm::test
