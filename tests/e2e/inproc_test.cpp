// In-process hosting end to end: a real ancm-host worker loads .NET through
// hostfxr (libancm_inproc.so) and serves real apps (tests/apps) through the
// managed server (Ancm.Host.dll) injected by its startup hook.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <future>
#include <regex>

#include "ancm/inproc/log_text.h"
#include "ancm/server/master.h"
#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "kestrel_direct.h"
#include "payloads.h"
#include "pid_text.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

AspNetCoreEdit in_process(std::string extra_attributes = "") {
  AspNetCoreEdit edit;
  edit.hosting_model = "inprocess";
  edit.extra_attributes = std::move(extra_attributes);
  return edit;
}

class InProcessTest : public PublishedAppTest {
 protected:
  InProcessTest() : PublishedAppTest("ancm-inproc") {}
};

// ------------------------------------------------------------------ serving

TEST_F(InProcessTest, ServesTheStockHelloAppInsideTheWorker) {
  auto host = serve("Hello", in_process());
  auto response = get(*host, "/");
  EXPECT_EQ(response.status, 200) << response.body << host->output();
  EXPECT_EQ(response.body, "Hello World!");
  // Served from the worker itself: it has no child process.
  auto workers = host->children();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_TRUE(children_of(workers[0]).empty());
}

TEST_F(InProcessTest, AnswersFromTheWorkersOwnPid) {
  auto host = serve("InProcessProbe", in_process());
  auto pid = to_pid(get(*host, "/pid").body);
  auto workers = host->children();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(pid, workers[0]);
  EXPECT_EQ(get(*host, "/server").body, "AncmServer");
}

// The app's answer to `target` when run with plain `dotnet <App>.dll` on
// Kestrel (nothing of ancm-host involved).
std::optional<HttpResponse> run_directly(const std::filesystem::path& folder,
                                         const std::string& app, const std::string& target) {
  KestrelDirect kestrel(folder, app);
  std::optional<HttpResponse> response;
  eventually(
      [&] {
        response = http_get(kestrel.port(), target);
        return response.has_value();
      },
      30s);
  return response;
}

TEST_F(InProcessTest, TheSameAppStillRunsOnKestrelDirectly) {
  install_app("InProcessProbe", dir_.path(), in_process());
  auto response = run_directly(dir_.path(), "InProcessProbe", "/server");
  ASSERT_TRUE(response);
  EXPECT_NE(response->body.find("Kestrel"), std::string::npos) << response->body;
}

TEST_F(InProcessTest, UseAncmHostIsANoOpOnKestrel) {
  install_app("UsesAncmHost", dir_.path(), in_process());
  auto response = run_directly(dir_.path(), "UsesAncmHost", "/server");
  ASSERT_TRUE(response);
  EXPECT_NE(response->body.find("Kestrel"), std::string::npos) << response->body;
}

TEST_F(InProcessTest, AnAppThatCallsUseAncmHostWorksUnderTheHost) {
  auto host = serve("UsesAncmHost", in_process());
  EXPECT_EQ(get(*host, "/").body, "uses ancm host");
  EXPECT_EQ(get(*host, "/server").body, "AncmServer");
}

// ------------------------------------------------------------------ fidelity

TEST_F(InProcessTest, CarriesTheRequestFaithfully) {
  auto host = serve("InProcessProbe", in_process());
  HttpConnection connection(host->port());
  connection.send(
      "GET /request?a=1&b=two HTTP/1.1\r\nHost: fidelity.test\r\nX-Multi: one\r\n"
      "X-Multi: two\r\nX-Single: value\r\n\r\n");
  auto response = connection.read_response(60s);
  ASSERT_TRUE(response) << host->output();
  const auto& body = response->body;
  EXPECT_NE(body.find("method: GET"), std::string::npos) << body;
  EXPECT_NE(body.find("path: /request"), std::string::npos) << body;
  EXPECT_NE(body.find("query: ?a=1&b=two"), std::string::npos) << body;
  EXPECT_NE(body.find("protocol: HTTP/1.1"), std::string::npos) << body;
  EXPECT_NE(body.find("X-Multi: one"), std::string::npos) << body;
  EXPECT_NE(body.find("X-Multi: two"), std::string::npos) << body;
  EXPECT_NE(body.find("Host: fidelity.test"), std::string::npos) << body;
  EXPECT_NE(body.find("remote: 127.0.0.1:" + std::to_string(connection.local_port())),
            std::string::npos)
      << body;
}

TEST_F(InProcessTest, StatusCodesReasonsAndHead) {
  auto host = serve("InProcessProbe", in_process());
  auto teapot = get(*host, "/status/418?reason=Short%20And%20Stout");
  EXPECT_EQ(teapot.status, 418);
  EXPECT_EQ(teapot.reason, "Short And Stout");
  EXPECT_EQ(get(*host, "/status/404").status, 404);
  HttpConnection connection(host->port());
  connection.send("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
  auto head = connection.read_response(30s, /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  connection.send(get_request("/status/202"));
  auto next = connection.read_response(30s);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 202);
}

TEST_F(InProcessTest, EchoesTenMebibytesWithFixedLengthAndChunked) {
  auto host = serve("InProcessProbe", in_process());
  expect_echoes_ten_mebibytes(*host);
}

TEST_F(InProcessTest, AStreamedResponseArrivesInPieces) {
  auto host = serve("InProcessProbe", in_process());
  expect_streams_in_pieces(*host);
}

TEST_F(InProcessTest, RequestAbortedFiresWhenTheClientLeaves) {
  auto host = serve("InProcessProbe", in_process());
  ASSERT_EQ(get(*host, "/").status, 200);
  {
    HttpConnection connection(host->port());
    connection.send(get_request("/aborted?ms=30000"));
    // The app says when the request is inside it, waiting.
    ASSERT_TRUE(eventually([&] { return get(*host, "/aborted/last").body == "waiting"; }, 30s));
  }  // closed mid-request
  EXPECT_TRUE(eventually([&] { return get(*host, "/aborted/last").body == "aborted"; }, 10s));
}

TEST_F(InProcessTest, TunnelsAWebSocket) {
  auto host = serve("InProcessProbe", in_process());
  expect_websocket_echo(*host, {"in-process websocket"});
}

TEST_F(InProcessTest, WebConfigEnvironmentAndStdoutLog) {
  auto edit = in_process(R"(stdoutLogEnabled="true")");
  edit.environment = {{"INPROC_GREETING", "hello in-process"}};
  auto host = serve("InProcessProbe", edit);
  EXPECT_EQ(get(*host, "/env/INPROC_GREETING").body, "hello in-process");
  EXPECT_EQ(get(*host, "/env/ASPNETCORE_PORT").status, 404);  // UseIISIntegration stays off
  std::filesystem::path log;
  EXPECT_TRUE(eventually([&] {
    if (!std::filesystem::exists(dir_ / "logs")) return false;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "logs")) log = entry.path();
    return !log.empty() && read_file(log).find("InProcessProbe: started") != std::string::npos;
  })) << log;
  EXPECT_TRUE(
      std::regex_match(log.filename().string(), std::regex(R"(stdout_20[0-9]{12}_[0-9]+\.log)")))
      << log;
}

// ------------------------------------------------------------------ failures

TEST_F(InProcessTest, AThrowInMainIs500_30) {
  auto host = serve("ThrowsInMain", in_process());
  auto plain = get(*host, "/");
  EXPECT_EQ(plain.status, 500);
  EXPECT_NE(plain.body.find("HTTP Error 500.30"), std::string::npos) << plain.body;
}

// The master says a worker is ready only when its app runs: one that serves
// a start-up error page is "up, but".
TEST_F(InProcessTest, AWorkerIsReadyOnlyWhenItsAppStarted) {
  std::string up_but_failed = std::string(server::kWorkerIsUp) + ", but the application failed";
  {
    auto host = serve("ThrowsInMain", in_process());
    EXPECT_TRUE(host->wait_for_output(up_but_failed, 30s)) << host->output();
    EXPECT_EQ(host->output().find(server::kWorkerIsReady), std::string::npos) << host->output();
    EXPECT_EQ(get(*host, "/").status, 500);
  }
  auto host = serve("Hello", in_process());
  EXPECT_TRUE(host->wait_for_output(std::string(server::kWorkerIsReady), 30s)) << host->output();
  EXPECT_EQ(host->output().find(up_but_failed), std::string::npos) << host->output();
}

// As under IIS, where the runtime prints it: the exception and its stack.
TEST_F(InProcessTest, AThrowInMainLeavesTheWholeExceptionInTheStdoutLog) {
  auto host = serve("ThrowsInMain", in_process(R"(stdoutLogEnabled="true")"));
  EXPECT_EQ(get(*host, "/").status, 500);
  std::string text;
  EXPECT_TRUE(eventually([&] {
    if (!std::filesystem::exists(dir_ / "logs")) return false;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ / "logs")) {
      text = read_file(entry.path());
    }
    return text.find("   at Program.<Main>$") != std::string::npos;
  })) << text;
  EXPECT_NE(text.find("Unhandled exception. System.InvalidOperationException: boom from Main"),
            std::string::npos)
      << text;
}

TEST_F(InProcessTest, AThrowInMainShowsTheMessageInDevelopment) {
  auto edit = in_process();
  edit.environment = {{"ASPNETCORE_ENVIRONMENT", "Development"}};
  auto host = serve("ThrowsInMain", edit);
  auto page = get(*host, "/");
  EXPECT_EQ(page.status, 500);
  EXPECT_NE(page.body.find("boom from Main"), std::string::npos) << page.body;
}

TEST_F(InProcessTest, MainReturningEarlyIs500_30WithTheExitCodeLogged) {
  auto host = serve("ReturnsEarly", in_process());
  auto page = get(*host, "/");
  EXPECT_EQ(page.status, 500);
  EXPECT_NE(page.body.find("HTTP Error 500.30"), std::string::npos) << page.body;
  EXPECT_TRUE(host->wait_for_output(std::string(inproc::kMainReturnedExitCode) + "5", 30s))
      << host->output();
}

TEST_F(InProcessTest, AMainThatBlocksIs500_37AfterTheStartupTimeLimit) {
  auto host = serve("BlocksInMain", in_process(R"(startupTimeLimit="2")"));
  auto started = Clock::now();
  auto page = get(*host, "/");
  auto took = Clock::now() - started;
  EXPECT_EQ(page.status, 500);
  EXPECT_NE(page.body.find("HTTP Error 500.37"), std::string::npos) << page.body;
  EXPECT_GE(took, 1500ms);  // not before the limit; the 500.37 says the limit ended it
}

TEST_F(InProcessTest, AMissingFrameworkIs500_31) {
  install_app("Hello", dir_.path(), in_process());
  auto config = read_file(dir_ / "Hello.runtimeconfig.json");
  config =
      std::regex_replace(config, std::regex(R"("version": "[0-9.]+")"), R"("version": "99.0.0")");
  write_file(dir_ / "Hello.runtimeconfig.json", config);
  HostOptions options;
  options.target = dir_.path();
  options.env["ASPNETCORE_DETAILEDERRORS"] = "1";
  HostProcess host(options);
  ASSERT_TRUE(host.started());
  auto page = get(host, "/");
  EXPECT_EQ(page.status, 500);
  EXPECT_NE(page.body.find("HTTP Error 500.31"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("99.0.0"), std::string::npos) << page.body;
}

TEST_F(InProcessTest, NoHostfxrIs500_32) {
  TempDir empty("ancm-no-dotnet");
  auto edit = in_process();
  install_app("Hello", dir_.path(), edit);
  auto text = read_file(dir_ / "web.config");
  text = std::regex_replace(text, std::regex(R"(processPath="dotnet")"),
                            "processPath=\"" + (empty / "dotnet").string() + "\"");
  write_file(dir_ / "web.config", text);
  HostOptions options;
  options.target = dir_.path();
  options.env["DOTNET_ROOT"] = empty.path().string();
  HostProcess host(options);
  ASSERT_TRUE(host.started());
  auto page = get(host, "/");
  EXPECT_EQ(page.status, 500);
  EXPECT_NE(page.body.find("HTTP Error 500.32"), std::string::npos) << page.body;
}

TEST_F(InProcessTest, AMissingSelfContainedDllIs500_38) {
  TempDir app("ancm-sc");
  std::filesystem::copy_file("/usr/share/dotnet/dotnet", app / "MyApp");  // any executable
  for (const auto& entry : std::filesystem::directory_iterator("/usr/share/dotnet/host/fxr")) {
    std::filesystem::copy_file(entry.path() / "libhostfxr.so", app / "libhostfxr.so",
                               std::filesystem::copy_options::overwrite_existing);
  }
  write_file(app / "web.config",
             "<configuration><system.webServer><aspNetCore processPath=\".\\MyApp.exe\" "
             "hostingModel=\"inprocess\" /></system.webServer></configuration>");
  HostOptions options;
  options.target = app.path();
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  auto page = get(host, "/");
  EXPECT_EQ(page.status, 500);
  EXPECT_NE(page.body.find("HTTP Error 500.38"), std::string::npos) << page.body;
}

// ------------------------------------------------------------------ stackSize

TEST_F(InProcessTest, TheDefaultStackIsOneMebibyteAndDeepRecursionFailsSafely) {
  auto host = serve("InProcessProbe", in_process());
  auto stack = get(*host, "/stack").body;
  EXPECT_NE(stack.find("main=1048576"), std::string::npos) << stack;
  EXPECT_NE(stack.find("pool=1048576"), std::string::npos) << stack;
  pid_t worker = to_pid(get(*host, "/pid").body);
  ASSERT_GT(worker, 0);
  // ~4 MiB of frames: a stack overflow, which takes the worker down...
  auto overflow = http_get(host->port(), "/recurse?depth=4000", "", 30s);
  EXPECT_TRUE(!overflow || overflow->status >= 500);
  // ...but not the host: a new worker answers.
  EXPECT_TRUE(eventually(
      [&] {
        auto response = http_get(host->port(), "/pid", "", 30s);
        if (!response || response->status != 200) return false;
        pid_t now = to_pid(response->body);
        return now > 0 && now != worker;
      },
      60s))
      << host->output();
}

TEST_F(InProcessTest, StackSizeEightMebibytesAllowsTheDeepRecursion) {
  for (std::string value : {"8388608", "0x800000"}) {
    TempDir dir("ancm-stack");
    auto edit = in_process();
    edit.handler_settings = {{"stackSize", value}};
    install_app("InProcessProbe", dir.path(), edit);
    HostOptions options;
    options.target = dir.path();
    HostProcess host(options);
    ASSERT_TRUE(host.started());
    auto stack = get(host, "/stack").body;
    EXPECT_NE(stack.find("main=8388608"), std::string::npos) << value << " " << stack;
    EXPECT_NE(stack.find("pool=8388608"), std::string::npos) << value << " " << stack;
    auto deep = get(host, "/recurse?depth=4000");
    EXPECT_EQ(deep.status, 200) << value;
    EXPECT_EQ(deep.body, "4000") << value;
  }
}

}  // namespace
}  // namespace ancm::test
