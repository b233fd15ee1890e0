// A GoogleTest fixture for end-to-end tests that serve one of the published
// test apps (tests/apps) with a real ancm-host.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host_process.h"
#include "http_client.h"
#include "payloads.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {

class PublishedAppTest : public ::testing::Test {
 protected:
  explicit PublishedAppTest(const std::string& prefix) : dir_(prefix) {}

  // Installs the app with its web.config edited and starts ancm-host on it.
  std::unique_ptr<HostProcess> serve(const std::string& app, const AspNetCoreEdit& edit = {},
                                     std::map<std::string, std::string> env = {},
                                     std::vector<std::string> extra_args = {}) {
    install_app(app, dir_.path(), edit);
    HostOptions options;
    options.target = dir_.path();
    options.env = std::move(env);
    options.extra_args = std::move(extra_args);
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  // One GET on a new connection; a test failure when nothing answers.
  HttpResponse get(const HostProcess& host, const std::string& target,
                   const std::string& headers = "",
                   std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
    auto response = http_get(host.port(), target, headers, timeout);
    EXPECT_TRUE(response) << "no response for " << target << "\n" << host.output();
    return response.value_or(HttpResponse{});
  }

  // Checks both hosting models share: the app must echo POST /echo, stream
  // GET /stream?chunks=N&ms=M as "piece K" lines, and echo WebSocket text.
  void expect_echoes_ten_mebibytes(const HostProcess& host) {
    auto body = random_bytes(10 * 1024 * 1024);
    auto fixed = exchange(host.port(), fixed_length_post("/echo", body));
    ASSERT_TRUE(fixed) << host.output();
    EXPECT_EQ(fixed->status, 200);
    EXPECT_EQ(fixed->body.size(), body.size());
    EXPECT_TRUE(fixed->body == body);
    auto chunked = exchange(host.port(), chunked_post("/echo", body, 65'000));
    ASSERT_TRUE(chunked) << host.output();
    EXPECT_EQ(chunked->body.size(), body.size());
    EXPECT_TRUE(chunked->body == body);
  }

  void expect_streams_in_pieces(const HostProcess& host) {
    using namespace std::chrono_literals;
    ASSERT_EQ(get(host, "/").status, 200);  // started
    HttpConnection connection(host.port());
    connection.send(get_request("/stream?chunks=3&ms=800"));
    auto early = connection.read_raw(500ms);
    EXPECT_NE(early.find("piece 1"), std::string::npos) << early;
    EXPECT_EQ(early.find("piece 3"), std::string::npos) << early;
    auto rest = connection.read_raw(3s);
    EXPECT_NE(rest.find("piece 3"), std::string::npos) << rest;
  }

  void expect_websocket_echo(const HostProcess& host, const std::vector<std::string>& messages) {
    using namespace std::chrono_literals;
    ASSERT_EQ(get(host, "/").status, 200);
    HttpConnection connection(host.port());
    connection.send(websocket_upgrade("/ws"));
    auto head = connection.read_raw(2s);
    ASSERT_EQ(head.rfind("HTTP/1.1 101", 0), 0u) << head;
    EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
    for (const auto& message : messages) {
      connection.send(websocket_text_frame(message));
      auto frame = connection.read_raw(1s);
      ASSERT_GE(frame.size(), 2u);
      EXPECT_EQ(static_cast<unsigned char>(frame[0]), 0x81);
      EXPECT_EQ(frame.substr(2), message);
    }
  }

  TempDir dir_;
};

}  // namespace ancm::test
