// The master/worker process model: graceful stop, worker replacement, and
// refusing to start on bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <future>

#include "ancm/common/exit_text.h"
#include "ancm/server/listen_address.h"
#include "ancm/server/master.h"
#include "ancm/shim/shim.h"
#include "host_exit.h"
#include "host_process.h"
#include "http_client.h"
#include "temp_dir.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

HostOptions test_host(const TempDir& app, const WebConfig& config = {}) {
  write_file(app / "web.config", config.text());
  HostOptions options;
  options.target = app.path();
  options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
  return options;
}

// The host refused to start: it exited with 1, its output naming what.
void expect_refused_naming(HostProcess& host, const std::string& named) {
  expect_exit_code(host, 1);
  EXPECT_NE(host.output().find(named), std::string::npos) << host.output();
}

pid_t worker_pid(uint16_t port) {
  auto response = http_get(port, "/pid");
  return response && response->status == 200 ? std::stoi(response->body) : -1;
}

TEST(ProcessTest, SigtermFinishesAnInFlightRequestThenExitsZero) {
  TempDir app("ancm-process");
  HostProcess host(test_host(app));
  ASSERT_TRUE(host.started()) << host.output();
  pid_t worker = worker_pid(host.port());
  ASSERT_GT(worker, 0);

  auto slow =
      std::async(std::launch::async, [&] { return http_get(host.port(), "/slow?ms=1500"); });
  ASSERT_TRUE(wait_for_in_flight(host.port(), 1)) << host.output();
  host.signal(SIGTERM);

  auto response = slow.get();
  ASSERT_TRUE(response) << host.output();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow done\n");
  expect_exit_code(host, 0);
  EXPECT_FALSE(process_exists(worker));
  // Nothing listens any more.
  HttpConnection late(host.port());
  EXPECT_FALSE(late.connected());
}

TEST(ProcessTest, SigtermCutsRequestsLongerThanTheDrainTimeout) {
  TempDir app("ancm-process");
  auto options = test_host(app);
  options.extra_args = {"--drain-timeout", "1"};
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  // Far longer than the test waits: an exit at all means the drain cut it.
  auto slow = std::async(std::launch::async,
                         [&] { return http_get(host.port(), "/slow?ms=600000", "", 120s); });
  ASSERT_TRUE(wait_for_in_flight(host.port(), 1)) << host.output();
  host.signal(SIGTERM);
  expect_exit_code(host, 0);
  EXPECT_FALSE(slow.get());  // cut, not answered
}

TEST(ProcessTest, AKilledWorkerIsReplaced) {
  TempDir app("ancm-process");
  HostProcess host(test_host(app));
  ASSERT_TRUE(host.started()) << host.output();
  pid_t first = worker_pid(host.port());
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  pid_t second = -1;
  EXPECT_TRUE(eventually([&] {
    second = worker_pid(host.port());
    return second > 0 && second != first;
  }));
  EXPECT_NE(second, first);
  EXPECT_TRUE(host.wait_for_output(std::string(common::kKilledBySignal) + "9", 30s))
      << host.output();
  EXPECT_TRUE(host.wait_for_output(std::string(server::kStartingANewWorker), 30s)) << host.output();
}

TEST(ProcessTest, AWorkerThatCrashesOnARequestIsReplaced) {
  TempDir app("ancm-process");
  HostProcess host(test_host(app));
  ASSERT_TRUE(host.started()) << host.output();
  pid_t first = worker_pid(host.port());
  ASSERT_GT(first, 0);
  EXPECT_FALSE(http_get(host.port(), "/crash"));  // the connection dies with the worker
  EXPECT_TRUE(eventually([&] {
    pid_t now = worker_pid(host.port());
    return now > 0 && now != first;
  }));
}

TEST(ProcessTest, KillingTheMasterTakesTheWorkerWithIt) {
  TempDir app("ancm-process");
  HostProcess host(test_host(app));
  ASSERT_TRUE(host.started()) << host.output();
  pid_t worker = worker_pid(host.port());
  ASSERT_GT(worker, 0);
  host.signal(SIGKILL);
  ASSERT_TRUE(host.wait_exit(30s));
  EXPECT_TRUE(eventually([&] { return !process_exists(worker); }, 10s));
}

// `ancm-host run` becomes the master program, which maps no OpenSSL and no
// server code; its worker is the full ancm-host, with OpenSSL.
TEST(ProcessTest, TheMasterIsAProgramWithoutTheWorkersLibraries) {
  TempDir app("ancm-process");
  HostProcess host(test_host(app));
  ASSERT_TRUE(host.started()) << host.output();
  pid_t worker = worker_pid(host.port());
  ASSERT_GT(worker, 0);
  auto program = [](pid_t pid) {
    return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe");
  };
  auto maps = [](pid_t pid) { return read_file("/proc/" + std::to_string(pid) + "/maps"); };
  EXPECT_EQ(program(host.pid()).filename(), "ancm-host-master");
  EXPECT_EQ(program(worker), std::filesystem::canonical(ancm_host_binary()));
  EXPECT_EQ(maps(host.pid()).find("libcrypto"), std::string::npos);
  EXPECT_EQ(maps(host.pid()).find("libssl"), std::string::npos);
  EXPECT_NE(maps(worker).find("libcrypto"), std::string::npos);
}

TEST(ProcessTest, RefusesToStartWithAnInvalidWebConfig) {
  TempDir app("ancm-process");
  write_file(app / "web.config", "<configuration><system.webServer><aspNetCore hostingModel=\"x\"");
  HostOptions options;
  options.target = app.path();
  HostProcess host(options);
  expect_refused_naming(host, (app / "web.config").string());
}

TEST(ProcessTest, RefusesABadListenUrl) {
  TempDir app("ancm-process");
  auto options = test_host(app);
  options.listen = "ftp://127.0.0.1:21";
  HostProcess host(options);
  expect_refused_naming(host, "ftp://127.0.0.1:21");
}

TEST(ProcessTest, SayWhichAddressIsTaken) {
  TempDir app("ancm-process");
  HostProcess first(test_host(app));
  ASSERT_TRUE(first.started());
  auto options = test_host(app);
  options.listen = "http://127.0.0.1:" + std::to_string(first.port());
  HostProcess second(options);
  expect_refused_naming(second, std::string(server::kCannotBind) + " " + options.listen);
}

}  // namespace
}  // namespace ancm::test

namespace ancm::test {
namespace {

TEST(DebugLog, HandlerSettingsSendTheLogToTheDebugFile) {
  TempDir app("ancm-log");
  WebConfig config;
  config.handler_settings = {{"debugLevel", "FILE,TRACE"},
                             {"debugFile", ".\\logs\\aspnetcore-debug.log"}};
  HostProcess host(test_host(app, config));
  ASSERT_TRUE(host.started()) << host.output();
  ASSERT_TRUE(http_get(host.port(), "/"));
  auto log_file = app / "logs" / "aspnetcore-debug.log";
  EXPECT_TRUE(eventually([&] {
    return read_file(log_file).find(shim::kLoadedHandlerLibrary) != std::string::npos;
  })) << read_file(log_file);
  // Only FILE was asked for: nothing on the console but the listening line.
  EXPECT_EQ(host.output().find(shim::kLoadedHandlerLibrary), std::string::npos) << host.output();
}

TEST(DebugLog, EnvironmentVariablesWinOverWebConfig) {
  TempDir app("ancm-log");
  WebConfig config;
  config.handler_settings = {{"debugLevel", "CONSOLE,ERROR"}};
  auto options = test_host(app, config);
  options.env["ASPNETCORE_MODULE_DEBUG"] = "FILE,INFO";
  options.env["ASPNETCORE_MODULE_DEBUG_FILE"] = (app / "env-debug.log").string();
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  ASSERT_TRUE(http_get(host.port(), "/"));
  EXPECT_TRUE(eventually([&] {
    return read_file(app / "env-debug.log").find("application /") != std::string::npos;
  })) << read_file(app / "env-debug.log");
}

}  // namespace
}  // namespace ancm::test
