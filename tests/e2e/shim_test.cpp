// The shim through a real ancm-host: handler loading and its error pages,
// disableStartUpErrorPage, detailed errors, app_offline.htm and web.config
// edits while running.
#include "ancm/shim/shim.h"

#include <gtest/gtest.h>

#include "ancm/server/master.h"
#include "host_process.h"
#include "http_client.h"
#include "temp_dir.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

class ShimTest : public ::testing::Test {
 protected:
  std::unique_ptr<HostProcess> start(const WebConfig& config, const std::string& handlers = "test",
                                     std::map<std::string, std::string> env = {}) {
    write_file(app_ / "web.config", config.text());
    HostOptions options;
    options.target = app_.path();
    options.env = std::move(env);
    options.env["ANCM_HANDLER_DIR"] = handler_dir(handlers).string();
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  HttpResponse get(const HostProcess& host, const std::string& target) {
    auto response = http_get(host.port(), target);
    EXPECT_TRUE(response) << "no response for " << target;
    return response.value_or(HttpResponse{});
  }

  TempDir app_{"ancm-shim"};
};

WebConfig with_model(const std::string& model) {
  WebConfig config;
  config.hosting_model = model;
  return config;
}

TEST_F(ShimTest, LoadsTheHandlerForTheHostingModel) {
  auto out = start(with_model("outofprocess"));
  EXPECT_EQ(get(*out, "/").body, "Hello from test-outofproc\n");
  auto in = start(with_model("InProcess"));
  EXPECT_EQ(get(*in, "/").body, "Hello from test-inproc\n");
}

TEST_F(ShimTest, MissingInProcessHandlerIs500_33) {
  auto host = start(with_model("inprocess"), "empty");
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(response.body.find("HTTP Error 500.33"), std::string::npos) << response.body;
}

TEST_F(ShimTest, MissingOutOfProcessHandlerIs500_36) {
  auto host = start(with_model("outofprocess"), "empty");
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("HTTP Error 500.36"), std::string::npos) << response.body;
  EXPECT_TRUE(host->wait_for_output("libancm_outofproc.so" + std::string(shim::kWasNotFound), 30s))
      << host->output();
}

TEST_F(ShimTest, UnloadableHandlerIs500_0) {
  for (const char* folder : {"broken", "no-entry"}) {
    auto host = start(with_model("outofprocess"), folder);
    auto response = get(*host, "/");
    EXPECT_EQ(response.status, 500) << folder;
    EXPECT_NE(response.body.find("HTTP Error 500.0"), std::string::npos) << folder;
    // The worker survives: a second request gets the same page.
    EXPECT_EQ(get(*host, "/").status, 500) << folder;
  }
}

TEST_F(ShimTest, DisableStartUpErrorPageKeepsOnlyTheStatus) {
  auto config = with_model("outofprocess");
  config.extra_attributes = R"(disableStartUpErrorPage="true")";
  auto host = start(config, "empty");
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.find("HTTP Error"), std::string::npos) << response.body;
  EXPECT_TRUE(response.body.empty()) << response.body;
}

TEST_F(ShimTest, AFailedStartShowsTheHandlersPage) {
  auto config = with_model("outofprocess");
  config.environment = {{"TEST_HANDLER_FAIL_CREATE", "502.5"}};
  auto host = start(config);
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 502);
  EXPECT_NE(response.body.find("HTTP Error 502.5"), std::string::npos) << response.body;
  // Not detailed: neither the reason nor the app's output.
  EXPECT_EQ(response.body.find("told to fail"), std::string::npos) << response.body;
  EXPECT_EQ(response.body.find("captured output"), std::string::npos) << response.body;
}

TEST_F(ShimTest, DetailedErrorsShowTheReasonAndEscapedOutput) {
  auto config = with_model("outofprocess");
  config.environment = {{"TEST_HANDLER_FAIL_CREATE", "500.30"},
                        {"ASPNETCORE_ENVIRONMENT", "Development"}};
  auto host = start(config);
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("HTTP Error 500.30"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("told to fail (500.30)"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("test application &lt;stdout&gt;"), std::string::npos)
      << response.body;
}

TEST_F(ShimTest, DetailedErrorsFromTheHostEnvironment) {
  auto config = with_model("outofprocess");
  config.environment = {{"TEST_HANDLER_FAIL_CREATE", "500.30"}};
  auto host = start(config, "test", {{"ASPNETCORE_DETAILEDERRORS", "1"}});
  auto response = get(*host, "/");
  EXPECT_NE(response.body.find("told to fail (500.30)"), std::string::npos) << response.body;
}

TEST_F(ShimTest, ARequestFailureIsRenderedAndCanBeSuppressed) {
  auto host = start(with_model("outofprocess"));
  auto page = get(*host, "/fail?status=502&sub=5");
  EXPECT_EQ(page.status, 502);
  EXPECT_NE(page.body.find("HTTP Error 502.5"), std::string::npos) << page.body;

  auto quiet = with_model("outofprocess");
  quiet.extra_attributes = R"(disableStartUpErrorPage="true")";
  auto suppressed = start(quiet);
  auto bare = get(*suppressed, "/fail?status=502&sub=5");
  EXPECT_EQ(bare.status, 502);
  EXPECT_TRUE(bare.body.empty()) << bare.body;
  // Not a start-up failure: 502.3 keeps its page.
  auto timeout = get(*suppressed, "/fail?status=502&sub=3");
  EXPECT_NE(timeout.body.find("HTTP Error 502.3"), std::string::npos) << timeout.body;
}

TEST_F(ShimTest, AppOfflineAnswers503WithItsContentUntilRemoved) {
  auto host = start(with_model("outofprocess"));
  ASSERT_EQ(get(*host, "/").status, 200);
  const std::string offline = "<html><body>Down for maintenance \xE2\x9C\x93</body></html>";
  for (int round = 0; round < 3; ++round) {
    write_file(app_ / "app_offline.htm", offline);
    EXPECT_TRUE(eventually([&] { return get(*host, "/").status == 503; })) << round;
    auto response = get(*host, "/anything");
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(response.body, offline);
    EXPECT_EQ(response.header("content-type"), "text/html; charset=utf-8");

    std::filesystem::remove(app_ / "app_offline.htm");
    EXPECT_TRUE(eventually([&] { return get(*host, "/").status == 200; })) << round;
  }
  // The application was stopped while offline and started again after.
  auto log = host->output();
  EXPECT_NE(log.find("test-outofproc stopping (application)"), std::string::npos) << log;
}

TEST_F(ShimTest, AppOfflinePresentAtStartIsServed) {
  write_file(app_ / "app_offline.htm", "offline at start");
  auto host = start(with_model("outofprocess"));
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.body, "offline at start");
}

TEST_F(ShimTest, AnEditedWebConfigRestartsTheApplicationWithNewSettings) {
  auto config = with_model("outofprocess");
  config.environment = {{"COLOUR", "red"}};
  auto host = start(config);
  EXPECT_EQ(get(*host, "/env?name=COLOUR").body, "red");
  config.environment = {{"COLOUR", "blue"}};
  write_file(app_ / "web.config", config.text());
  EXPECT_TRUE(eventually([&] { return get(*host, "/env?name=COLOUR").body == "blue"; }))
      << host->output();
  // The running app moved to a new worker; the host itself kept running.
  EXPECT_TRUE(
      host->wait_for_output(server::recycled_because(shim::kWebConfigChanged) + ": worker", 30s))
      << host->output();
  EXPECT_FALSE(host->wait_exit(0ms).has_value());
}

TEST_F(ShimTest, ABrokenWebConfigIs500_19UntilFixed) {
  auto config = with_model("outofprocess");
  auto host = start(config);
  pid_t worker = std::stoi(get(*host, "/pid").body);

  write_file(app_ / "web.config", config.text().substr(0, 200));  // cut off mid-element
  EXPECT_TRUE(eventually([&] { return get(*host, "/").status == 500; }));
  auto page = get(*host, "/");
  EXPECT_NE(page.body.find("HTTP Error 500.19"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find((app_ / "web.config").string()), std::string::npos) << page.body;

  auto bad_value = config;
  bad_value.extra_attributes = R"(requestTimeout="00:60:00")";
  write_file(app_ / "web.config", bad_value.text());
  EXPECT_TRUE(eventually([&] {
    return get(*host, "/").body.find("requestTimeout") != std::string::npos;
  })) << get(*host, "/").body;

  write_file(app_ / "web.config", config.text());
  EXPECT_TRUE(eventually([&] { return get(*host, "/").status == 200; }));
  // Recovered in the same worker: the host never restarted.
  EXPECT_EQ(std::stoi(get(*host, "/pid").body), worker);
}

TEST_F(ShimTest, HandlerSeesResolvedSettings) {
  auto config = with_model("outofprocess");
  config.extra_attributes = R"(startupTimeLimit="7")";
  config.handler_settings = {{"stackSize", "0x800000"}};
  auto host = start(config);
  EXPECT_EQ(get(*host, "/setting?name=startupTimeLimit").body, "7");
  EXPECT_EQ(get(*host, "/setting?name=handlerSetting:stackSize").body, "8388608");
}

}  // namespace
}  // namespace ancm::test

namespace ancm::test {
namespace {

TEST_F(ShimTest, AHandlerCanFailARequestLater) {
  auto host = start(with_model("outofprocess"));
  auto page = get(*host, "/fail-later");
  EXPECT_EQ(page.status, 502);
  EXPECT_NE(page.body.find("HTTP Error 502.5"), std::string::npos) << page.body;
}

}  // namespace
}  // namespace ancm::test
