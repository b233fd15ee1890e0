// Warm start: out of process the app's child is started (and waited for)
// before the worker reports ready; handlerSetting initializationPage is
// requested once per worker before it takes a client's request, in both
// hosting models and across a recycle (WarmUp records what happens to it, in
// order, in $WARMUP_LOG).
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <sstream>

#include "ancm/outofproc/log_text.h"
#include "ancm/server/master.h"
#include "ancm/server/worker.h"
#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "load_client.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// One line of WarmUp's record: "started 12", "listening 12",
// "request 12 /warmup ancm-host warm-up".
struct Event {
  std::string what;
  pid_t pid = 0;
  std::string path;
  std::string user_agent;
};

std::vector<Event> events_in(const std::filesystem::path& log) {
  std::vector<Event> events;
  if (!std::filesystem::exists(log)) return events;
  std::istringstream lines(read_file(log));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    Event event;
    words >> event.what >> event.pid >> event.path;
    std::getline(words >> std::ws, event.user_agent);
    events.push_back(event);
  }
  return events;
}

std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

std::string describe(const LoadClient& load) {
  std::string text =
      std::to_string(load.succeeded()) + " ok, " + std::to_string(load.failed()) + " failed:";
  for (const auto& failure : load.failures()) text += " [" + failure + "]";
  return text;
}

class WarmStartTest : public PublishedAppTest {
 protected:
  WarmStartTest() : PublishedAppTest("ancm-warm") {}

  AspNetCoreEdit edit(const std::string& hosting_model,
                      std::vector<std::pair<std::string, std::string>> handler_settings = {}) {
    AspNetCoreEdit edit;
    edit.hosting_model = hosting_model;
    edit.environment = {{"WARMUP_LOG", log_.string()}};
    edit.handler_settings = std::move(handler_settings);
    return edit;
  }

  std::filesystem::path log_ = dir_ / "warmup-events.log";
};

// Out of process, the worker reports ready only once its child listens: the
// child exists (a child of the worker) before any request was made, and the
// first request is served by that child, not by one it starts.
TEST_F(WarmStartTest, OutOfProcessChildListensBeforeTheWorkerIsReady) {
  auto host = serve("WarmUp", edit("outofprocess"));
  ASSERT_TRUE(eventually([&] { return !ready_workers(*host).empty(); }, 60s)) << host->output();
  pid_t worker = ready_workers(*host).front();

  auto events = events_in(log_);
  ASSERT_EQ(events.size(), 2u) << read_file(log_) << host->output();
  EXPECT_EQ(events[0].what, "started");
  EXPECT_EQ(events[1].what, "listening");
  pid_t child = events[1].pid;
  EXPECT_EQ(parent_of(child), worker);

  ASSERT_EQ(get(*host, "/").status, 200);
  events = events_in(log_);
  ASSERT_EQ(events.size(), 3u) << read_file(log_);
  EXPECT_EQ(events[2].what, "request");
  EXPECT_EQ(events[2].pid, child);
}

class InitializationPageTest : public WarmStartTest,
                               public ::testing::WithParamInterface<const char*> {};

// The paths the app was asked for, in order.
std::vector<std::string> requested_paths(const std::filesystem::path& log) {
  std::vector<std::string> paths;
  for (const auto& event : events_in(log)) {
    if (event.what == "request") paths.push_back(event.path);
  }
  return paths;
}

std::size_t leading_warm_ups(const std::vector<std::string>& paths) {
  std::size_t count = 0;
  while (count < paths.size() && paths[count] == "/warmup") ++count;
  return count;
}

// Requested before the worker says it is ready and before the first client
// request, through the same pipeline (the app sees an ordinary GET with the
// warm-up User-Agent), and again once: a page that takes as long every time
// (600 ms) has settled after its second answer, or its third when the first
// paid for the app's first request. Its outcome is one log line.
TEST_P(InitializationPageTest, IsRequestedBeforeReadyAndBeforeTheFirstRequest) {
  auto host = serve("WarmUp", edit(GetParam(), {{"initializationPage", "/warmup?ms=600"}}));
  ASSERT_TRUE(eventually([&] { return !ready_workers(*host).empty(); }, 60s)) << host->output();
  auto output = host->output();
  std::string line = std::string(server::kInitializationPage) + " /warmup?ms=600";
  auto answered = output.find(line + std::string(server::kAnswered) + "200 in ");
  ASSERT_NE(answered, std::string::npos) << output;
  EXPECT_LT(answered, output.find(server::kWorkerIsReady)) << output;
  EXPECT_EQ(count_of(output, line), 1u) << output;

  auto events = events_in(log_);
  ASSERT_FALSE(events.empty()) << host->output();
  ASSERT_EQ(events.back().what, "request") << read_file(log_);
  EXPECT_EQ(events.back().path, "/warmup");
  EXPECT_EQ(events.back().user_agent, server::kWarmUpUserAgent);

  ASSERT_EQ(get(*host, "/").status, 200);
  ASSERT_EQ(get(*host, "/").status, 200);
  auto paths = requested_paths(log_);
  std::size_t warm_ups = leading_warm_ups(paths);
  EXPECT_GE(warm_ups, 2u) << read_file(log_);
  EXPECT_LE(warm_ups, 3u) << read_file(log_);
  EXPECT_EQ(paths.size(), warm_ups + 2) << read_file(log_);
}

// A page that is slow only the first time (a cache it fills) is requested
// until its answers stop getting faster: the fast second answer is followed
// by a third, which takes as long, and no more.
TEST_P(InitializationPageTest, IsRepeatedWhileItsAnswersGetClearlyFaster) {
  auto host = serve("WarmUp", edit(GetParam(), {{"initializationPage", "/warmup?firstMs=600"}}));
  ASSERT_TRUE(eventually([&] { return !ready_workers(*host).empty(); }, 60s)) << host->output();
  EXPECT_NE(host->output().find("; again until it settled: "), std::string::npos) << host->output();
  auto warm_ups = leading_warm_ups(requested_paths(log_));
  EXPECT_GE(warm_ups, 3u) << read_file(log_);
  EXPECT_LE(warm_ups, 1 + server::kMostInitializationPageRepeats) << read_file(log_);
}

// A page that keeps getting faster (each answer half the one before, down to
// 100 ms) is repeated a bounded number of times, not until it stops.
TEST_P(InitializationPageTest, IsRepeatedAtMostABoundedNumberOfTimes) {
  auto host = serve("WarmUp", edit(GetParam(), {{"initializationPage", "/warmup?halvingMs=3200"}}));
  ASSERT_TRUE(eventually([&] { return !ready_workers(*host).empty(); }, 60s)) << host->output();
  EXPECT_EQ(leading_warm_ups(requested_paths(log_)), 1 + server::kMostInitializationPageRepeats)
      << read_file(log_) << host->output();
  ASSERT_EQ(get(*host, "/").status, 200);
}

// A non-2xx answer is a warning, and the worker serves anyway.
TEST_P(InitializationPageTest, AFailingPageIsAWarningAndTheWorkerServesAnyway) {
  auto host = serve("WarmUp", edit(GetParam(), {{"initializationPage", "/warmup?status=500"}}));
  ASSERT_TRUE(eventually([&] { return !ready_workers(*host).empty(); }, 60s)) << host->output();
  EXPECT_NE(host->output().find(std::string(server::kAnswered) + "500 in "), std::string::npos)
      << host->output();
  EXPECT_NE(host->output().find(server::kServingAnyway), std::string::npos) << host->output();
  EXPECT_EQ(get(*host, "/").status, 200);
}

INSTANTIATE_TEST_SUITE_P(BothModels, InitializationPageTest,
                         ::testing::Values("inprocess", "outofprocess"));

// After SIGHUP the new worker's child is started and its initializationPage
// answered while the old worker keeps serving; no client request reaches the
// new child before it is warm, and none fails.
TEST_F(WarmStartTest, ARecycleWarmsTheNewChildBeforeItTakesOverWithoutFailures) {
  auto host = serve("WarmUp", edit("outofprocess", {{"initializationPage", "/warmup?ms=1500"}}));
  ASSERT_TRUE(eventually([&] { return ready_workers(*host).size() == 1; }, 60s)) << host->output();
  LoadClient load(host->port(), "/", 4);
  ASSERT_TRUE(load.serve_more(20)) << describe(load);
  host->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return ready_workers(*host).size() == 2; }, 60s)) << host->output();
  EXPECT_TRUE(load.serve_more(50)) << describe(load);
  load.stop();
  EXPECT_EQ(load.failed(), 0) << describe(load) << host->output();

  auto events = events_in(log_);
  std::vector<pid_t> children;
  for (const auto& event : events) {
    if (event.what == "started") children.push_back(event.pid);
  }
  ASSERT_EQ(children.size(), 2u) << read_file(log_);
  pid_t old_child = children[0], new_child = children[1];
  std::size_t warmed = 0;  // where the new child was last asked for /warmup
  bool served_a_client = false;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    if (event.what != "request" || event.pid != new_child) continue;
    if (event.path == "/warmup") {
      ASSERT_FALSE(served_a_client) << "a warm-up after a client's request\n" << read_file(log_);
      warmed = i;
    } else {
      ASSERT_GT(warmed, 0u) << "a client reached the cold child\n" << read_file(log_);
      EXPECT_EQ(event.path, "/") << read_file(log_);
      served_a_client = true;
    }
  }
  ASSERT_GT(warmed, 0u) << read_file(log_);
  // The old child kept serving while the new one warmed (1.5 s).
  bool old_served_meanwhile = false;
  for (std::size_t i = warmed + 1; i < events.size(); ++i) {
    if (events[i].what == "request" && events[i].pid == old_child) old_served_meanwhile = true;
  }
  EXPECT_TRUE(old_served_meanwhile) << read_file(log_);
  EXPECT_EQ(count_of(host->output(), std::string(server::kInitializationPage) + " /warmup"), 2u)
      << host->output();
}

// A child that cannot start is known before any request: the worker is "up,
// but" failed, /healthz says failed, and the log says why.
TEST_F(WarmStartTest, AChildThatFailsToStartMakesHealthSayFailed) {
  AspNetCoreEdit failing;
  failing.hosting_model = "outofprocess";
  auto host = serve("AlwaysCrashes", failing, {}, {"--admin-listen", "127.0.0.1:0"});
  ASSERT_TRUE(host->wait_for_output(std::string(server::kWorkerIsUp), 60s)) << host->output();
  EXPECT_EQ(host->output().find(server::kWorkerIsReady), std::string::npos) << host->output();
  EXPECT_NE(host->output().find(outofproc::kWarmStartFailed), std::string::npos) << host->output();

  uint16_t admin = 0;
  ASSERT_TRUE(eventually([&] {
    auto output = host->output();
    auto at = output.find(server::kAdminOn);
    auto end = at == std::string::npos ? at : output.find('\n', at);
    if (end == std::string::npos) return false;
    auto colon = output.rfind(':', end);
    admin = static_cast<uint16_t>(std::stoi(output.substr(colon + 1, end - colon - 1)));
    return true;
  })) << host->output();
  auto health = http_get(admin, "/healthz");
  ASSERT_TRUE(health) << host->output();
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "failed\n");
}

// app_offline.htm dropped while the child is still starting stops it, which
// the warm start sees fail; the master must say what requests get (503 with
// the page), not that the app failed to start.
TEST_F(WarmStartTest, AppOfflineDuringTheStartIsReportedAsOfflineNotAsAFailedStart) {
  auto slow = edit("outofprocess");
  slow.environment.emplace_back("WARMUP_START_MS", "3000");
  auto host = serve("WarmUp", slow);
  ASSERT_TRUE(eventually([&] { return !events_in(log_).empty(); }, 60s)) << host->output();
  write_file(dir_ / "app_offline.htm", "<p>down for a moment</p>");

  ASSERT_TRUE(host->wait_for_output(std::string(server::kWorkerIsUp), 60s)) << host->output();
  EXPECT_NE(host->output().find("app_offline.htm is present"), std::string::npos) << host->output();
  EXPECT_EQ(host->output().find("failed to start: requests get"), std::string::npos)
      << host->output();
  auto page = get(*host, "/");
  EXPECT_EQ(page.status, 503);
  EXPECT_NE(page.body.find("down for a moment"), std::string::npos) << page.body;
}

// A stop while the out-of-process child is still starting (this one never
// listens) ends the worker at once: the worker's loop does not run yet, so
// without the watch of the control channel during the start the master's
// "stop" waited unread until its drain and kill grace ran out (15 s).
TEST_F(WarmStartTest, AStopWhileTheChildStartsEndsTheWorkerAtOnce) {
  AspNetCoreEdit blocking;
  blocking.hosting_model = "outofprocess";
  auto host = serve("BlocksInMain", blocking);
  ASSERT_TRUE(host->wait_for_output("started process ", 60s)) << host->output();
  std::this_thread::sleep_for(500ms);  // the worker waits for the child to listen
  ASSERT_EQ(host->output().find(std::string(server::kWorkerIsUp)), std::string::npos)
      << host->output();

  auto asked = std::chrono::steady_clock::now();
  host->signal(SIGTERM);
  auto code = host->wait_exit(60s);
  auto took = std::chrono::steady_clock::now() - asked;
  ASSERT_TRUE(code) << host->output();
  EXPECT_EQ(*code, 0) << host->output();
  EXPECT_LT(took, 8s) << host->output();
  EXPECT_NE(host->output().find("stopped while its application started"), std::string::npos)
      << host->output();
}

}  // namespace
}  // namespace ancm::test
