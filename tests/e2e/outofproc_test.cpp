// Out-of-process hosting end to end: a real ancm-host, the real
// libancm_outofproc.so, and real .NET apps (tests/apps) as children.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <future>
#include <regex>
#include <set>

#include "app_fixture.h"
#include "free_port.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"
#include "pid_text.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class OutOfProcessTest : public PublishedAppTest {
 protected:
  OutOfProcessTest() : PublishedAppTest("ancm-oop") {}
};

std::string json_field(const std::string& json, const std::string& name) {
  std::smatch match;
  std::regex field("\"" + name + "\":(\"([^\"]*)\"|([0-9]+))");
  if (!std::regex_search(json, match, field)) return "";
  return match[2].matched ? match[2].str() : match[3].str();
}

TEST_F(OutOfProcessTest, ServesTheStockHelloApp) {
  auto host = serve("Hello");
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.body, "Hello World!");
  // Kestrel's own headers come back; the hop-by-hop ones do not.
  EXPECT_EQ(response.header("server"), "Kestrel");
  EXPECT_FALSE(response.has_header("transfer-encoding") && response.has_header("content-length"));
}

TEST_F(OutOfProcessTest, WebConfigEnvironmentReachesTheApp) {
  AspNetCoreEdit edit;
  edit.environment = {{"GREETING", "hello from web.config"},
                      {"EXPANDED", "home is %HOME%"},
                      {"UNDEFINED", "%NO_SUCH_VARIABLE_ANCM%"}};
  auto host = serve("PrintsEnv", edit, {{"HOME", "/home/ancm-test"}});
  EXPECT_EQ(get(*host, "/env/GREETING").body, "hello from web.config");
  EXPECT_EQ(get(*host, "/env/EXPANDED").body, "home is /home/ancm-test");
  EXPECT_EQ(get(*host, "/env/UNDEFINED").body, "%NO_SUCH_VARIABLE_ANCM%");
  EXPECT_EQ(get(*host, "/env/ASPNETCORE_IIS_HTTPAUTH").body, "anonymous;");
  EXPECT_EQ(get(*host, "/env/ASPNETCORE_APPL_PATH").body, "/");
  auto token = get(*host, "/env/ASPNETCORE_TOKEN").body;
  EXPECT_TRUE(std::regex_match(token, std::regex("[0-9a-f]{32}"))) << token;
}

TEST_F(OutOfProcessTest, HonoursAUserPort) {
  AspNetCoreEdit edit;
  const std::string port = std::to_string(free_tcp_port());
  edit.environment = {{"ASPNETCORE_PORT", port}};
  auto host = serve("PrintsEnv", edit);
  EXPECT_EQ(get(*host, "/env/ASPNETCORE_PORT").body, port);
  // The child listens there itself.
  HttpConnection direct(static_cast<uint16_t>(std::stoi(port)));
  EXPECT_TRUE(direct.connected());
}

TEST_F(OutOfProcessTest, APrivilegedUserPortIs502_5) {
  AspNetCoreEdit edit;
  edit.environment = {{"ASPNETCORE_PORT", "80"}};
  auto host = serve("PrintsEnv", edit, {{"ASPNETCORE_DETAILEDERRORS", "1"}});
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 502);
  EXPECT_NE(response.body.find("HTTP Error 502.5"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("80"), std::string::npos) << response.body;
}

TEST_F(OutOfProcessTest, TheChildRejectsRequestsWithoutTheToken) {
  auto host = serve("PrintsEnv");
  auto through_host = get(*host, "/", "MS-ASPNETCORE-TOKEN: forged\r\n");
  // The forged token was replaced, or the app would have answered 400.
  ASSERT_EQ(through_host.status, 200) << through_host.body;
  auto port = to_pid(get(*host, "/env/ASPNETCORE_PORT").body);
  ASSERT_GT(port, 0);
  auto direct = http_get(static_cast<uint16_t>(port), "/");
  ASSERT_TRUE(direct);
  EXPECT_EQ(direct->status, 400);
  auto forged = http_get(static_cast<uint16_t>(port), "/", "MS-ASPNETCORE-TOKEN: forged\r\n");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 400);
}

TEST_F(OutOfProcessTest, TheAppSeesTheClientsAddressAndScheme) {
  auto host = serve("PrintsEnv");
  HttpConnection connection(host->port());
  connection.send(get_request("/", "X-Forwarded-Proto: https\r\n"));
  auto response = connection.read_response(30s);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(json_field(response->body, "remoteIp"), "127.0.0.1") << response->body;
  EXPECT_EQ(json_field(response->body, "remotePort"), std::to_string(connection.local_port()))
      << response->body;
  EXPECT_EQ(json_field(response->body, "scheme"), "http") << response->body;
  EXPECT_EQ(json_field(response->body, "host"), "test") << response->body;
}

TEST_F(OutOfProcessTest, AMissingProcessPathIs502_5) {
  AspNetCoreEdit edit;
  auto host = serve("Hello", edit, {{"ASPNETCORE_DETAILEDERRORS", "1"}});
  // Point processPath at a file that is not there.
  auto text = read_file(dir_ / "web.config");
  text = std::regex_replace(text, std::regex(R"(processPath="dotnet")"),
                            R"(processPath=".\missing-program")");
  write_file(dir_ / "web.config", text);
  EXPECT_TRUE(eventually([&] { return get(*host, "/").status == 502; }, 10s));
  auto response = get(*host, "/");
  EXPECT_NE(response.body.find("HTTP Error 502.5"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("missing-program"), std::string::npos) << response.body;
}

TEST_F(OutOfProcessTest, AnAppThatExitsEarlyIs502_5WithItsOutput) {
  auto host = serve("ExitsEarly", {}, {{"ASPNETCORE_DETAILEDERRORS", "1"}});
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 502);
  EXPECT_NE(response.body.find("HTTP Error 502.5"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("ExitsEarly: giving up"), std::string::npos) << response.body;
}

TEST_F(OutOfProcessTest, AnAppThatNeverListensIs502_5AfterTheStartupTimeLimit) {
  AspNetCoreEdit edit;
  edit.extra_attributes = R"(startupTimeLimit="2")";
  auto host = serve("NeverListens", edit);
  auto started = Clock::now();
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 502);
  EXPECT_NE(response.body.find("HTTP Error 502.5"), std::string::npos) << response.body;
  EXPECT_GE(Clock::now() - started, 1500ms);
}

TEST_F(OutOfProcessTest, DisableStartUpErrorPageSends502WithoutThePage) {
  AspNetCoreEdit edit;
  edit.extra_attributes = R"(disableStartUpErrorPage="true")";
  auto host = serve("ExitsEarly", edit);
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.body.find("HTTP Error"), std::string::npos) << response.body;
}

TEST_F(OutOfProcessTest, AKilledChildIsReplacedOnTheNextRequest) {
  auto host = serve("PrintsEnv");
  pid_t first = to_pid(get(*host, "/pid").body);
  ASSERT_GT(first, 0);
  ::kill(first, SIGKILL);
  EXPECT_GT(replacement_pid(host->port(), first), 0) << host->output();
}

// The policy of every thread of the process (the runtime's, Kestrel's), as
// sched_getscheduler says; -1 for one that ended meanwhile is left out.
std::set<int> thread_policies(pid_t pid) {
  std::set<int> policies;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    int policy = ::sched_getscheduler(std::stoi(task.path().filename().string()));
    if (policy >= 0) policies.insert(policy);
  }
  return policies;
}

// batchScheduling (on by default): the app's process and every thread it
// made run SCHED_BATCH, so a request waking them does not preempt the worker;
// false leaves the default policy.
// The host inherits this test's policy: SCHED_OTHER unless the test itself
// runs under chrt or a unit that sets one, which batchScheduling leaves alone.
TEST_F(OutOfProcessTest, TheAppRunsUnderBatchSchedulingByDefault) {
  int inherited = ::sched_getscheduler(0);
  auto host = serve("PrintsEnv");
  pid_t child = to_pid(get(*host, "/pid").body);
  ASSERT_GT(child, 0) << host->output();
  int expected = inherited == SCHED_OTHER ? SCHED_BATCH : inherited;
  EXPECT_EQ(thread_policies(child), std::set<int>{expected});
  EXPECT_EQ(thread_policies(parent_of(child)), std::set<int>{inherited});  // not the worker
}

TEST_F(OutOfProcessTest, BatchSchedulingFalseLeavesThePolicyAlone) {
  AspNetCoreEdit edit;
  edit.handler_settings = {{"batchScheduling", "false"}};
  auto host = serve("PrintsEnv", edit);
  pid_t child = to_pid(get(*host, "/pid").body);
  ASSERT_GT(child, 0) << host->output();
  EXPECT_EQ(thread_policies(child), std::set<int>{::sched_getscheduler(0)});
}

TEST_F(OutOfProcessTest, RapidFailsStopTheRestartsWithinTheMinute) {
  AspNetCoreEdit edit;
  edit.extra_attributes =
      R"(rapidFailsPerMinute="2" stdoutLogEnabled="true" stdoutLogFile=".\logs\crash")";
  auto host = serve("AlwaysCrashes", edit);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(get(*host, "/").status, 502);
  std::size_t spawned = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "logs")) {
    spawned += entry.path().filename().string().rfind("crash_", 0) == 0;
  }
  EXPECT_EQ(spawned, 3u) << host->output();
  auto last = get(*host, "/");
  EXPECT_EQ(last.status, 502);
}

TEST_F(OutOfProcessTest, RequestTimeoutIs502_3) {
  AspNetCoreEdit edit;
  edit.extra_attributes = R"(requestTimeout="00:00:02")";
  auto host = serve("SlowResponse", edit);
  ASSERT_EQ(get(*host, "/").status, 200);  // started
  // The app would answer after a minute: a 502.3 at all means the timeout
  // cut it; the lower bound says it did not come early.
  auto started = Clock::now();
  auto response = get(*host, "/slow?ms=60000");
  auto took = Clock::now() - started;
  EXPECT_EQ(response.status, 502);
  EXPECT_NE(response.body.find("HTTP Error 502.3"), std::string::npos) << response.body;
  EXPECT_GE(took, 1500ms);
}

TEST_F(OutOfProcessTest, ProcessesPerApplicationServeRoundRobin) {
  AspNetCoreEdit edit;
  edit.extra_attributes = R"(processesPerApplication="3")";
  auto host = serve("PrintsEnv", edit);
  std::set<pid_t> pids;
  for (int i = 0; i < 12 && pids.size() < 3; ++i) {
    pid_t pid = to_pid(get(*host, "/pid").body);
    if (pid > 0) pids.insert(pid);  // an unanswered request is no process
  }
  EXPECT_EQ(pids.size(), 3u);
}

TEST_F(OutOfProcessTest, EchoesTenMebibytesWithFixedLengthAndChunked) {
  auto host = serve("EchoBody");
  expect_echoes_ten_mebibytes(*host);
}

TEST_F(OutOfProcessTest, AStreamedResponseArrivesInPieces) {
  auto host = serve("EchoBody");
  expect_streams_in_pieces(*host);
}

TEST_F(OutOfProcessTest, TunnelsAWebSocket) {
  auto host = serve("WebSocketEcho");
  expect_websocket_echo(*host, {"hello through ancm-host", "second message"});
}

TEST_F(OutOfProcessTest, TheStdoutLogIsNamedAndFilled) {
  AspNetCoreEdit edit;
  edit.extra_attributes = R"(stdoutLogEnabled="true")";  // stdoutLogFile=".\logs\stdout"
  auto host = serve("WritesStdout", edit);
  ASSERT_EQ(get(*host, "/write?text=written-by-the-test").status, 200);
  std::filesystem::path log;
  EXPECT_TRUE(eventually([&] {
    if (!std::filesystem::exists(dir_ / "logs")) return false;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "logs")) log = entry.path();
    return !log.empty() && read_file(log).find("written-by-the-test") != std::string::npos;
  })) << log;
  EXPECT_TRUE(
      std::regex_match(log.filename().string(), std::regex(R"(stdout_20[0-9]{12}_[0-9]+\.log)")))
      << log;
  auto text = read_file(log);
  EXPECT_NE(text.find("WritesStdout: started"), std::string::npos) << text;
  EXPECT_NE(text.find("WritesStdout: stderr line"), std::string::npos) << text;
}

TEST_F(OutOfProcessTest, AppOfflineStopsAndRestartsTheChild) {
  auto host = serve("PrintsEnv");
  pid_t before = to_pid(get(*host, "/pid").body);
  ASSERT_GT(before, 0);
  for (int round = 0; round < 5; ++round) {
    write_file(dir_ / "app_offline.htm", "<h1>offline " + std::to_string(round) + "</h1>");
    EXPECT_TRUE(eventually([&] { return get(*host, "/pid").status == 503; })) << round;
    auto offline = get(*host, "/pid");
    EXPECT_EQ(offline.body, "<h1>offline " + std::to_string(round) + "</h1>");
    std::filesystem::remove(dir_ / "app_offline.htm");
    EXPECT_TRUE(eventually([&] { return get(*host, "/pid").status == 200; }, 30s)) << round;
  }
  EXPECT_FALSE(process_exists(before));  // the first child was stopped
}

TEST_F(OutOfProcessTest, NoChildOutlivesASigtermedHost) {
  auto host = serve("PrintsEnv");
  pid_t child = to_pid(get(*host, "/pid").body);
  ASSERT_GT(child, 0);
  host->signal(SIGTERM);
  auto status = host->wait_exit(30s);
  ASSERT_TRUE(status) << host->output();
  EXPECT_EQ(WEXITSTATUS(*status), 0) << host->output();
  EXPECT_FALSE(process_exists(child)) << host->output();
}

TEST_F(OutOfProcessTest, NoChildOutlivesAKilledHost) {
  auto host = serve("PrintsEnv");
  pid_t child = to_pid(get(*host, "/pid").body);
  ASSERT_GT(child, 0);
  auto workers = host->children();
  host->signal(SIGKILL);
  ASSERT_TRUE(host->wait_exit(30s));
  EXPECT_TRUE(eventually([&] { return !process_exists(child); }, 20s));
  for (pid_t worker : workers) EXPECT_TRUE(eventually([&] { return !process_exists(worker); }));
}

}  // namespace
}  // namespace ancm::test

namespace ancm::test {
namespace {

TEST_F(OutOfProcessTest, ACrashDuringARequestIs502_3AndTheNextRequestGetsANewChild) {
  auto host = serve("CrashOnRequest");
  ASSERT_EQ(get(*host, "/").body, "alive");
  auto crashed = get(*host, "/crash");
  EXPECT_EQ(crashed.status, 502);
  EXPECT_NE(crashed.body.find("HTTP Error 502.3"), std::string::npos) << crashed.body;
  EXPECT_TRUE(eventually([&] { return get(*host, "/").body == "alive"; }, 30s)) << host->output();
}

}  // namespace
}  // namespace ancm::test
