// HTTP/2 end to end: a real `ancm-host run` serving the published test apps
// in both hosting models to HTTP/2 clients with prior knowledge (curl,
// h2load, the nghttp2 test client) on the same port HTTP/1.1 clients use;
// and hostile clients writing frames by hand (rapid reset, CONTINUATION and
// SETTINGS floods, a PING flood that never reads, an HPACK bomb), after each
// of which the connection is gone and the host still serves.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <string>

#include "ancm/server/worker.h"
#include "app_fixture.h"
#include "command_output.h"
#include "h2_client.h"
#include "h2_frames.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"
#include "process_memory.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

class Http2Test : public PublishedAppTest, public ::testing::WithParamInterface<const char*> {
 protected:
  Http2Test() : PublishedAppTest("ancm-h2") {}

  std::unique_ptr<HostProcess> serve_echo() {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    auto host = serve("EchoBody", edit);
    EXPECT_EQ(get(*host, "/").status, 200);  // started
    return host;
  }

  std::string url(const HostProcess& host, const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(host.port()) + path;
  }

  // After a hostile client: the host answers a normal HTTP/2 client and an
  // HTTP/1.1 one, and its worker did not grow without bound.
  void expect_still_serving(const HostProcess& host, long rss_before) {
    H2Client client(host.port());
    auto response = client.fetch(h2_get("/"), 30s);
    ASSERT_TRUE(response) << host.output();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "echo app");
    EXPECT_EQ(get(host, "/").status, 200);
    auto workers = host.children();
    ASSERT_EQ(workers.size(), 1u);
    EXPECT_LT(resident_kib(workers[0]), rss_before + 256 * 1024) << "the worker grew past 256 MiB";
  }

  // A flood sent while its answer is read: the host ends the connection
  // with GOAWAY and logs it.
  void expect_flood_refused(const HostProcess& host, const std::string& flood) {
    HttpConnection raw(host.port());
    auto sent = raw.send_in_background(flood);
    auto bytes = raw.read_raw(30s);
    sent.wait();
    EXPECT_TRUE(h2::goaway_code(bytes).has_value());
    EXPECT_TRUE(host.wait_for_output(std::string(server::kHttp2ConnectionRefused), 10s))
        << host.output();
  }

  long worker_rss(const HostProcess& host) {
    auto workers = host.children();
    return workers.empty() ? 0 : resident_kib(workers[0]);
  }
};

TEST_P(Http2Test, CurlWithPriorKnowledgeGetsTheBodyAndStatus) {
  auto host = serve_echo();
  auto out = command_output("curl -s --http2-prior-knowledge -w '|%{http_code}|%{http_version}' " +
                            url(*host, "/"));
  EXPECT_EQ(out, "echo app|200|2") << host->output();
  auto body = random_bytes(1024 * 1024);
  std::string file = dir_.path() / "upload.bin";
  std::ofstream(file, std::ios::binary) << body;
  auto echoed = command_output("curl -s --http2-prior-knowledge --data-binary @" + file + " " +
                               url(*host, "/echo"));
  EXPECT_EQ(echoed.size(), body.size());
  EXPECT_TRUE(echoed == body);
}

TEST_P(Http2Test, NghttpClientEchoesABodyWithTrailers) {
  auto host = serve_echo();
  H2Client client(host->port());
  auto body = random_bytes(3 * 1024 * 1024 + 7);
  auto response = client.fetch(h2_post("/echo", body, {{"x-sum", "1"}}), 60s);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body == body);
}

TEST_P(Http2Test, H2loadSmokeHasNoFailedRequests) {
  auto host = serve_echo();
  auto out = command_output("h2load -n 20000 -c 10 -m 10 " + url(*host, "/") + " 2>&1");
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(out, match, std::regex(R"((\d+) succeeded, (\d+) failed, (\d+) errored)")))
      << out;
  EXPECT_EQ(match[1], "20000") << out;
  EXPECT_EQ(match[2], "0") << out;
  EXPECT_EQ(match[3], "0") << out;
}

// CVE-2023-44487: streams opened and reset at once, as fast as the client can.
TEST_P(Http2Test, RapidResetGetsGoawayAndTheHostServesOn) {
  auto host = serve_echo();
  long rss = worker_rss(*host);
  std::string flood = h2::client_start();
  for (uint32_t id = 1; id < 2 * 20000; id += 2) {
    flood += h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, id, h2::get_block("/"));
    flood += h2::rst_stream(id, 0x8);
  }
  expect_flood_refused(*host, flood);
  expect_still_serving(*host, rss);
}

// CVE-2024-27316: a header block that never ends, in CONTINUATION frames.
TEST_P(Http2Test, ContinuationFloodGetsGoawayAndTheHostServesOn) {
  auto host = serve_echo();
  long rss = worker_rss(*host);
  std::string flood = h2::client_start() + h2::frame(h2::kHeaders, 0, 1, h2::get_block("/"));
  for (int i = 0; i < 1000; ++i)
    flood += h2::frame(h2::kContinuation, 0, 1, h2::literal("x-a", "b"));
  expect_flood_refused(*host, flood);
  expect_still_serving(*host, rss);
}

TEST_P(Http2Test, SettingsFrameWithTooManyEntriesGetsGoaway) {
  auto host = serve_echo();
  long rss = worker_rss(*host);
  HttpConnection raw(host->port());
  std::vector<std::pair<uint16_t, uint32_t>> entries(100, {0x4, 65535});
  raw.send(std::string(h2::kPreface) + h2::settings(entries));
  auto bytes = raw.read_raw(30s);
  EXPECT_EQ(h2::goaway_code(bytes), 0xbu);  // ENHANCE_YOUR_CALM
  EXPECT_TRUE(host->wait_for_output(std::string(server::kHttp2ConnectionRefused), 10s))
      << host->output();
  expect_still_serving(*host, rss);
}

// A client that sends PINGs and SETTINGS and never reads their acks.
TEST_P(Http2Test, PingAndSettingsFloodIsCutOff) {
  auto host = serve_echo();
  long rss = worker_rss(*host);
  HttpConnection raw(host->port());
  std::string flood = h2::client_start();
  for (int i = 0; i < 100000; ++i) flood += i % 2 ? h2::ping(i) : h2::settings();
  raw.send(flood);  // blocks while the server reads; fails once it closed
  EXPECT_TRUE(raw.closed_by_peer(30s));
  EXPECT_TRUE(host->wait_for_output(std::string(server::kHttp2ConnectionRefused), 10s))
      << host->output();
  expect_still_serving(*host, rss);
}

// A small header block that decodes huge: one large field in the dynamic
// table, then a reference to it, again and again.
TEST_P(Http2Test, HpackBombGetsGoaway) {
  auto host = serve_echo();
  long rss = worker_rss(*host);
  HttpConnection raw(host->port());
  std::string block = h2::get_block("/") + h2::literal_indexed("x-big", std::string(4000, 'a'));
  for (int i = 0; i < 10000; ++i) block += h2::indexed(62);
  raw.send(h2::client_start() +
           h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1, block));
  auto bytes = raw.read_raw(30s);
  EXPECT_EQ(h2::goaway_code(bytes), 0xbu);
  expect_still_serving(*host, rss);
}

// The rules an HTTP/1.1 head keeps hold for HTTP/2 streams: the host answers
// them itself (no app sees them), and the connection serves on.
TEST_P(Http2Test, HeadRulesAreAnsweredByTheHostAsForHttp11) {
  auto host = serve_echo();
  H2Client client(host->port());
  auto long_path = client.fetch(h2_get("/?" + std::string(9000, 'q')), 30s);
  ASSERT_TRUE(long_path) << host->output();
  EXPECT_EQ(long_path->status, 414);

  auto mismatch = h2_get("/");
  mismatch.headers = {{"host", "elsewhere.example"}};
  auto refused = client.fetch(mismatch, 30s);
  ASSERT_TRUE(refused) << host->output();
  EXPECT_EQ(refused->status, 400);

  auto served = client.fetch(h2_get("/"), 30s);
  ASSERT_TRUE(served) << host->output();
  EXPECT_EQ(served->status, 200);
  EXPECT_EQ(served->body, "echo app");
}

// CONNECT without :protocol (a tunnel: we are no forward proxy) gets 405; a
// declared body over the limit gets 413 before any of it is sent.
TEST_P(Http2Test, ConnectAndADeclaredBodyOverTheLimitAreRefused) {
  auto host = serve_echo();
  HttpConnection raw(host->port());
  raw.send(
      h2::client_start() +
      h2::frame(h2::kHeaders, h2::kEndHeaders | h2::kEndStream, 1,
                h2::literal(":method", "CONNECT") + h2::literal(":authority", "example.com:443")) +
      h2::frame(h2::kHeaders, h2::kEndHeaders, 3,
                h2::get_block("/echo") + h2::literal("content-length", "40000000")));
  auto bytes = raw.read_until(h2::rst_stream(3, 0), 30s);
  EXPECT_EQ(h2::answered_status(bytes, 1), "405") << host->output();
  EXPECT_EQ(h2::answered_status(bytes, 3), "413") << host->output();
  EXPECT_EQ(get(*host, "/").status, 200);
}

INSTANTIATE_TEST_SUITE_P(HostingModels, Http2Test, ::testing::Values("inprocess", "outofprocess"));

}  // namespace
}  // namespace ancm::test
