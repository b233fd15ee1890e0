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

  TempDir dir_;
};

}  // namespace ancm::test
