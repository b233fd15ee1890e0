// The shim's failure states (ancm::shim::Shim) in this process: a real
// Shim over real temporary app folders, the test handler libraries
// (tests/handlers), and the server's Connection in front (LoopbackServer),
// so each answer is the HTTP response a client gets.
#include "ancm/shim/shim.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "host_process.h"  // handler_dir, eventually
#include "http_client.h"
#include "loopback_server.h"
#include "temp_dir.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

class ShimTest : public ::testing::Test {
 protected:
  void write_config(const std::string& hosting_model = "outofprocess",
                    std::vector<std::pair<std::string, std::string>> environment = {}) {
    WebConfig config;
    config.hosting_model = hosting_model;
    config.environment = std::move(environment);
    write_file(dir_ / "web.config", config.text());
  }

  // The shim serves the app in dir_ with the handler libraries in
  // build/tests/handlers/<handlers>.
  void start(const std::string& handlers = "test") {
    shim::ShimOptions options;
    options.target = dir_.path();
    options.handler_dir = handler_dir(handlers);
    options.request_api = &LoopbackServer::api();
    shim_ = std::make_unique<shim::Shim>(std::move(options));
    server_ = std::make_unique<LoopbackServer>(
        [shim = shim_.get()](ancm_request* request) { shim->handle_request(request); });
  }

  std::optional<HttpResponse> get(const std::string& target = "/") {
    return http_get(server_->port(), target);
  }

  // The shim notices file changes on its own thread: the test waits until
  // the answer shows it.
  bool eventually_status(int status) {
    return eventually([&] {
      auto response = get();
      return response && response->status == status;
    });
  }

  static constexpr std::string_view kHello = "Hello from test-outofproc";

  TempDir dir_{"ancm-shim"};
  std::unique_ptr<shim::Shim> shim_;
  std::unique_ptr<LoopbackServer> server_;  // first to go: no request reaches a gone shim
};

TEST_F(ShimTest, AppOfflineAnswers503WithItsContentUntilRemoved) {
  write_config();
  start();
  auto online = get();
  ASSERT_TRUE(online);
  EXPECT_EQ(online->status, 200);
  EXPECT_NE(online->body.find(kHello), std::string::npos) << online->body;

  const std::string offline_page = "<html><body>Back soon</body></html>\n";
  write_file(dir_ / "app_offline.htm", offline_page);
  ASSERT_TRUE(eventually_status(503));
  auto offline = get();
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->status, 503);
  EXPECT_EQ(offline->body, offline_page);
  EXPECT_EQ(offline->header("content-type"), "text/html; charset=utf-8");

  std::filesystem::remove(dir_ / "app_offline.htm");
  ASSERT_TRUE(eventually_status(200));
  auto back = get();
  ASSERT_TRUE(back);
  EXPECT_NE(back->body.find(kHello), std::string::npos) << back->body;
}

TEST_F(ShimTest, AppOfflineAtStartKeepsTheAppFromStarting) {
  write_config();
  write_file(dir_ / "app_offline.htm", "offline");
  start();
  auto response = get();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "offline");
}

TEST_F(ShimTest, ABrokenWebConfigGets500_19UntilFixed) {
  write_file(dir_ / "web.config", "<configuration><system.webServer>");
  start();
  auto broken = get();
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 500);
  EXPECT_NE(broken->body.find("HTTP Error 500.19"), std::string::npos) << broken->body;

  write_config();
  ASSERT_TRUE(eventually_status(200));
  auto fixed = get();
  ASSERT_TRUE(fixed);
  EXPECT_NE(fixed->body.find(kHello), std::string::npos) << fixed->body;
}

// No handler library where the hosting model needs one: ANCM's handler load
// failure pages, 500.36 out-of-process, 500.33 in-process.
TEST_F(ShimTest, AMissingHandlerLibraryGetsTheHandlerLoadFailurePage) {
  write_config("outofprocess");
  start("empty");
  auto response = get();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("HTTP Error 500.36"), std::string::npos) << response->body;
}

TEST_F(ShimTest, AMissingInProcessHandlerLibraryGets500_33) {
  write_config("inprocess");
  start("empty");
  auto response = get();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_NE(response->body.find("HTTP Error 500.33"), std::string::npos) << response->body;
}

// A file that is there but is no handler library: 500.0.
TEST_F(ShimTest, AnUnloadableHandlerLibraryGets500_0) {
  for (const char* handlers : {"broken", "no-entry"}) {
    SCOPED_TRACE(handlers);
    write_config("outofprocess");
    start(handlers);
    auto response = get();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 500);
    EXPECT_NE(response->body.find("HTTP Error 500.0 "), std::string::npos) << response->body;
    server_.reset();
    shim_.reset();
  }
}

// The handler's create_application fails: its code is the page's, and with
// detailed errors on, its reason and the app's output are on the page.
TEST_F(ShimTest, AStartUpFailureShowsTheHandlersPage) {
  write_config("outofprocess",
               {{"TEST_HANDLER_FAIL_CREATE", "502.5"}, {"ASPNETCORE_DETAILEDERRORS", "1"}});
  start();
  auto response = get();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 502);
  EXPECT_NE(response->body.find("HTTP Error 502.5"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("the test handler was told to fail (502.5)"), std::string::npos)
      << response->body;
  EXPECT_NE(response->body.find("captured output of the test application &lt;stdout&gt;"),
            std::string::npos)
      << response->body;
}

TEST_F(ShimTest, DisableStartUpErrorPageSendsTheStatusAlone) {
  WebConfig config;
  config.extra_attributes = R"(disableStartUpErrorPage="true")";
  config.environment = {{"TEST_HANDLER_FAIL_CREATE", "500.30"}};
  write_file(dir_ / "web.config", config.text());
  start();
  auto response = get();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, "");
}

}  // namespace
}  // namespace ancm::test
