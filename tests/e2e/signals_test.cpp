// The master obeys SIGTERM, SIGINT and SIGHUP after every kind of recycle
// (SIGHUP, a web.config edit, app_offline.htm, a new build), in both hosting
// models: a recycle retires the old worker, and its exit must not leave the
// master stuck on a control socket.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

// Generous: each worker starts a real .NET app on a shared machine.
constexpr auto kWorkerStart = 60s;
constexpr auto kExit = 30s;

enum class Recycle { sighup, web_config_edit, app_offline, new_build };

struct Case {
  std::string hosting_model;
  Recycle recycle;
  int final_signal;  // SIGTERM or SIGINT
};

std::string name_of(Recycle recycle) {
  switch (recycle) {
    case Recycle::sighup:
      return "Sighup";
    case Recycle::web_config_edit:
      return "WebConfigEdit";
    case Recycle::app_offline:
      return "AppOffline";
    case Recycle::new_build:
      return "NewBuild";
  }
  return "Unknown";
}

std::string name_of(const Case& c) {
  return (c.hosting_model == "inprocess" ? "InProcess" : "OutOfProcess") + name_of(c.recycle) +
         "ThenSig" + (c.final_signal == SIGTERM ? "term" : "int");
}

void PrintTo(const Case& c, std::ostream* out) { *out << name_of(c); }

std::string case_name(const ::testing::TestParamInfo<Case>& info) { return name_of(info.param); }

std::string describe(const std::set<pid_t>& pids) {
  std::string text;
  for (pid_t pid : pids) text += " " + std::to_string(pid);
  return text;
}

class SignalsTest : public PublishedAppTest, public ::testing::WithParamInterface<Case> {
 protected:
  SignalsTest() : PublishedAppTest("ancm-signals") {
    edit_.hosting_model = GetParam().hosting_model;
  }

  void start() {
    host_ = serve("Hello", edit_);
    ASSERT_TRUE(host_->started());
    ASSERT_TRUE(eventually([&] { return !ready_workers(*host_).empty(); }, kWorkerStart))
        << host_->output();
    worker_ = ready_workers(*host_).back();
    expect_serves();
  }

  // GET / answers with the body of the build in place.
  void expect_serves() {
    std::string body = v2_deployed_ ? "Hello World v2!" : "Hello World!";
    std::optional<HttpResponse> last;
    EXPECT_TRUE(eventually(
        [&] {
          last = http_get(host_->port(), "/", "", 10s);
          return last && last->status == 200 && last->body == body;
        },
        kWorkerStart))
        << "wanted 200 \"" << body << "\", got "
        << (last ? std::to_string(last->status) + " \"" + last->body + "\"" : "nothing") << "\n"
        << host_->output();
  }

  // One recycle of the given kind; waits until the app serves again, from a
  // new worker when the kind replaces it (the old one gone).
  void recycle(Recycle kind) {
    auto ready_before = ready_workers(*host_).size();
    bool new_worker = true;
    switch (kind) {
      case Recycle::sighup:
        host_->signal(SIGHUP);
        break;
      case Recycle::web_config_edit:
        edit_.environment = {{"RECYCLE_ROUND", std::to_string(++round_)}};
        write_file(dir_ / "web.config",
                   edit_web_config(read_file(published_app("Hello") / "web.config"), edit_));
        break;
      case Recycle::app_offline:
        take_app_offline();
        // Out-of-process, the same worker starts the app again.
        new_worker = edit_.hosting_model == "inprocess";
        break;
      case Recycle::new_build:
        v2_deployed_ = !v2_deployed_;
        deploy(published_app(v2_deployed_ ? "HelloV2" : "Hello"), dir_.path());
        break;
    }
    if (new_worker) expect_new_worker(ready_before);
    expect_serves();
  }

  void take_app_offline() {
    write_file(dir_ / "app_offline.htm", "<p>back soon</p>");
    EXPECT_TRUE(eventually([&] {
      auto response = http_get(host_->port(), "/", "", 10s);
      return response && response->status == 503 && response->body == "<p>back soon</p>";
    })) << host_->output();
    std::filesystem::remove(dir_ / "app_offline.htm");
  }

  void expect_new_worker(std::size_t ready_before) {
    ASSERT_TRUE(
        eventually([&] { return ready_workers(*host_).size() > ready_before; }, kWorkerStart))
        << "no new worker after worker " << worker_ << "\n"
        << host_->output();
    pid_t old = std::exchange(worker_, ready_workers(*host_).back());
    EXPECT_NE(worker_, old);
    // The old worker's exit is what the master must get through.
    EXPECT_TRUE(eventually([&] { return !process_exists(old); }, kExit))
        << "worker " << old << " was not retired\n"
        << host_->output();
  }

  // The master exits 0 on `signal` and nothing it started is left.
  void expect_clean_exit(int signal) {
    std::set<pid_t> started = process_group(host_->pid());
    for (pid_t worker : host_->children()) {
      for (pid_t child : children_of(worker)) started.insert(child);  // the app, out-of-process
    }
    ASSERT_GE(started.size(), 2u) << describe(started);
    host_->signal(signal);
    auto status = host_->wait_exit(kExit);
    ASSERT_TRUE(status) << "the master ignored " << ::strsignal(signal) << "\n" << host_->output();
    EXPECT_TRUE(WIFEXITED(*status)) << *status;
    EXPECT_EQ(WEXITSTATUS(*status), 0) << host_->output();
    EXPECT_TRUE(eventually([&] { return process_group(host_->pid()).empty(); }, kExit))
        << "left:" << describe(process_group(host_->pid()));
    for (pid_t pid : started) EXPECT_FALSE(process_exists(pid)) << pid << " is left";
  }

  AspNetCoreEdit edit_;
  std::unique_ptr<HostProcess> host_;
  pid_t worker_ = -1;
  bool v2_deployed_ = false;
  int round_ = 0;
};

// Each recycle is followed by another signal: a SIGHUP after the first (a new
// worker must take over), SIGTERM or SIGINT after the last.
TEST_P(SignalsTest, TheMasterObeysSignalsAfterEachRecycle) {
  start();
  ASSERT_FALSE(HasFatalFailure());
  recycle(GetParam().recycle);
  ASSERT_FALSE(HasFatalFailure());
  recycle(Recycle::sighup);
  ASSERT_FALSE(HasFatalFailure());
  recycle(GetParam().recycle);
  ASSERT_FALSE(HasFatalFailure());
  expect_clean_exit(GetParam().final_signal);
}

// Every kind in both models; each model and each kind ends once with
// SIGTERM and once with SIGINT.
INSTANTIATE_TEST_SUITE_P(EveryRecycle, SignalsTest,
                         ::testing::Values(Case{"inprocess", Recycle::sighup, SIGTERM},
                                           Case{"inprocess", Recycle::web_config_edit, SIGINT},
                                           Case{"inprocess", Recycle::app_offline, SIGTERM},
                                           Case{"inprocess", Recycle::new_build, SIGINT},
                                           Case{"outofprocess", Recycle::sighup, SIGINT},
                                           Case{"outofprocess", Recycle::web_config_edit, SIGTERM},
                                           Case{"outofprocess", Recycle::app_offline, SIGINT},
                                           Case{"outofprocess", Recycle::new_build, SIGTERM}),
                         case_name);

}  // namespace
}  // namespace ancm::test
