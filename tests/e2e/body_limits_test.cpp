// Request body size limits end to end, in both hosting models, with the
// published BodySizeLimits app: web.config's requestLimits
// maxAllowedContentLength at the front end (413 before the app runs),
// --max-body-bytes over it, and the app's own limit
// (IHttpMaxRequestBodySizeFeature, [DisableRequestSizeLimit]) as IIS
// in-process and Kestrel have it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kApp = "BodySizeLimits";

class BodyLimitsTest : public PublishedAppTest, public ::testing::WithParamInterface<const char*> {
 protected:
  BodyLimitsTest() : PublishedAppTest("ancm-body") {}

  bool in_process() const { return std::string(GetParam()) == "inprocess"; }

  // The app in this test's hosting model; web.config's limit when not empty.
  AspNetCoreEdit edit(const std::string& max_allowed_content_length = "") const {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    edit.max_allowed_content_length = max_allowed_content_length;
    return edit;
  }

  std::unique_ptr<HostProcess> serve_with_limit(const std::string& max_allowed_content_length,
                                                std::vector<std::string> extra_args = {}) {
    return serve(kApp, edit(max_allowed_content_length), {}, std::move(extra_args));
  }

  // Sends while reading, like a client that uploads and listens at once. The
  // upload itself may fail once the server has answered early.
  HttpResponse send(const HostProcess& host, std::string request) {
    HttpConnection connection(host.port());
    auto sent = connection.send_in_background(std::move(request));
    auto response = connection.read_response(60s);
    sent.wait();
    EXPECT_TRUE(response) << "no response\n" << host.output();
    return response.value_or(HttpResponse{});
  }

  HttpResponse post(const HostProcess& host, const std::string& target, std::size_t length) {
    return send(host, fixed_length_post(target, std::string(length, 'b')));
  }

  HttpResponse post_chunked(const HostProcess& host, const std::string& target,
                            std::size_t length) {
    return send(host, chunked_post(target, std::string(length, 'c'), 100));
  }

  // Only the head, announcing `length` bytes: what a limit checked against
  // Content-Length must answer without waiting for the body.
  HttpResponse announce(const HostProcess& host, const std::string& target, std::size_t length) {
    return send(host, "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                          std::to_string(length) + "\r\n\r\n");
  }

  // How often a POST to `path` reached the app.
  int times_ran(const HostProcess& host, const std::string& path) {
    std::string events = get(host, "/events").body;
    std::string needle = "ran POST " + path + "\n";
    int count = 0;
    for (auto at = events.find(needle); at != std::string::npos; at = events.find(needle, at + 1))
      ++count;
    return count;
  }

  // The app caught a BadHttpRequestException with this status while reading.
  bool app_saw_bad_request(const HostProcess& host, const std::string& path, int status) {
    std::string events = get(host, "/events").body;
    return events.find(path + ": BadHttpRequestException " + std::to_string(status)) !=
           std::string::npos;
  }

  // What /default and /unlimited answer for a body read to its end.
  static std::string served(const std::string& limit, std::size_t read) {
    return "limit=" + limit + " read=" + std::to_string(read) + "\n";
  }
};

// ------------------------------------------------------------------ the front end

TEST_P(BodyLimitsTest, WebConfigLimitAnswers413BeforeTheAppRuns) {
  auto host = serve_with_limit("1000");
  auto over = announce(*host, "/default", 1001);
  EXPECT_EQ(over.status, 413) << over.body << host->output();
  EXPECT_EQ(times_ran(*host, "/default"), 0);

  auto at_limit = post(*host, "/default", 1000);
  EXPECT_EQ(at_limit.status, 200) << at_limit.body;
  if (in_process()) {
    // The app's own limit defaults to web.config's, as under IIS.
    EXPECT_EQ(at_limit.body, served("1000", 1000));
  } else {
    // Kestrel's own (its 30,000,000, or none where the app's IIS
    // integration clears it, depending on the .NET version).
    EXPECT_TRUE(at_limit.body.ends_with(" read=1000\n")) << at_limit.body;
  }
  EXPECT_EQ(times_ran(*host, "/default"), 1);
}

TEST_P(BodyLimitsTest, WithoutRequestLimitsTheLimitIsThirtyMillionBytes) {
  auto host = serve(kApp, edit());
  auto over = announce(*host, "/unlimited", 30'000'001);
  EXPECT_EQ(over.status, 413) << over.body << host->output();
  EXPECT_EQ(times_ran(*host, "/unlimited"), 0);
}

TEST_P(BodyLimitsTest, MaxBodyBytesOverridesWebConfig) {
  auto host = serve_with_limit("1000", {"--max-body-bytes", "2000"});
  auto within = post(*host, "/unlimited", 1500);
  EXPECT_EQ(within.status, 200) << within.body << host->output();
  EXPECT_EQ(within.body, served("none", 1500));

  auto over = announce(*host, "/unlimited", 2001);
  EXPECT_EQ(over.status, 413) << over.body;
  EXPECT_EQ(times_ran(*host, "/unlimited"), 1);
}

TEST_P(BodyLimitsTest, AWebConfigEditTakesEffectInTheNextWorker) {
  auto host = serve_with_limit("1000");
  ASSERT_EQ(announce(*host, "/unlimited", 1500).status, 413) << host->output();

  write_file(dir_ / "web.config",
             edit_web_config(read_file(published_app(kApp) / "web.config"), edit("2000")));
  EXPECT_TRUE(eventually([&] { return post(*host, "/unlimited", 1500).status == 200; }, 60s))
      << host->output();
  EXPECT_EQ(announce(*host, "/unlimited", 2001).status, 413);
}

// While app_offline.htm is up no app runs, so a web.config edit is taken in
// place, without a new worker: a new limit must still reach the front end.
TEST_P(BodyLimitsTest, ALimitChangedWhileOfflineTakesEffect) {
  write_file(dir_ / "app_offline.htm", "<p>down for a moment</p>");
  auto host = serve_with_limit("1000");
  ASSERT_EQ(announce(*host, "/unlimited", 1500).status, 413) << host->output();
  write_file(dir_ / "web.config",
             edit_web_config(read_file(published_app(kApp) / "web.config"), edit("2000")));
  std::filesystem::remove(dir_ / "app_offline.htm");
  EXPECT_TRUE(eventually([&] { return post(*host, "/unlimited", 1500).status == 200; }, 60s))
      << host->output();
  EXPECT_EQ(announce(*host, "/unlimited", 2001).status, 413);
}

TEST_P(BodyLimitsTest, ALimitAboveTheDefaultLetsA31MegabyteUploadThrough) {
  auto host = serve_with_limit("40000000");
  // In-process the app's default follows web.config (without it, the app's
  // 30,000,000 would refuse this); out-of-process Kestrel keeps its own
  // default, so the endpoint lifts it, leaving the front end's limit.
  auto response = post(*host, in_process() ? "/default" : "/unlimited", 31'000'000);
  EXPECT_EQ(response.status, 200) << response.body << host->output();
  EXPECT_EQ(response.body, served(in_process() ? "40000000" : "none", 31'000'000));
}

// Needs the front end to count a chunked body as it arrives.
TEST_P(BodyLimitsTest, AChunkedBodyGrowingPastTheLimitGets413) {
  auto host = serve_with_limit("1000");
  auto over = post_chunked(*host, "/unlimited", 2000);
  EXPECT_EQ(over.status, 413) << over.body << host->output();
  auto within = post_chunked(*host, "/unlimited", 1000);
  EXPECT_EQ(within.status, 200) << within.body;
  EXPECT_EQ(within.body, served("none", 1000));
}

// ------------------------------------------------------------------ the app's limit
// Out-of-process this is Kestrel's behaviour: the in-process server must match it.

TEST_P(BodyLimitsTest, TheAppCanLowerItsLimit) {
  auto host = serve(kApp, edit());
  auto within = post(*host, "/lowered?to=100", 100);
  EXPECT_EQ(within.status, 200) << within.body << host->output();
  EXPECT_EQ(within.body, served("100", 100));

  auto announced = announce(*host, "/lowered?to=100", 101);
  EXPECT_EQ(announced.status, 413) << announced.body;
  EXPECT_TRUE(app_saw_bad_request(*host, "/lowered", 413));
  EXPECT_EQ(times_ran(*host, "/lowered"), 2);
}

TEST_P(BodyLimitsTest, AfterADeclaredLengthWasRefusedTheAppMayStillRaiseItsLimit) {
  auto host = serve(kApp, edit());
  auto response = post(*host, "/raise-after-413?to=100", 200);
  EXPECT_EQ(response.status, 200) << response.body << host->output();
  EXPECT_EQ(response.body, "first=refused 413 then read=200\n");
}

TEST_P(BodyLimitsTest, AChunkedBodyPastTheAppsLimitFailsTheReadWith413) {
  auto host = serve(kApp, edit());
  auto over = post_chunked(*host, "/lowered?to=100", 1000);
  EXPECT_EQ(over.status, 413) << over.body << host->output();
  EXPECT_TRUE(app_saw_bad_request(*host, "/lowered", 413));
}

TEST_P(BodyLimitsTest, SettingTheLimitAfterTheBodyStartedThrows) {
  auto host = serve(kApp, edit());
  auto response = post(*host, "/too-late", 10);
  EXPECT_EQ(response.status, 200) << response.body << host->output();
  EXPECT_EQ(response.body, "read=1 read-only=True set=threw InvalidOperationException\n");
}

INSTANTIATE_TEST_SUITE_P(HostingModels, BodyLimitsTest,
                         ::testing::Values("inprocess", "outofprocess"),
                         [](const auto& info) { return std::string(info.param); });

// ------------------------------------------------------------------ in-process only

class InProcessBodyLimitsTest : public BodyLimitsTest {};

// The app's default limit is web.config's, not --max-body-bytes' (as IIS
// hands only its own setting to the app): between the two, the app's
// default refuses and [DisableRequestSizeLimit] lifts it, but never past the
// front end's.
TEST_P(InProcessBodyLimitsTest, DisableRequestSizeLimitLiftsTheAppsLimitButNotTheFrontEnds) {
  auto host = serve_with_limit("1000", {"--max-body-bytes", "5000"});
  auto refused = announce(*host, "/default", 3000);
  EXPECT_EQ(refused.status, 413) << refused.body << host->output();
  EXPECT_EQ(times_ran(*host, "/default"), 1);
  EXPECT_TRUE(app_saw_bad_request(*host, "/default", 413));

  auto lifted = post(*host, "/unlimited", 3000);
  EXPECT_EQ(lifted.status, 200) << lifted.body;
  EXPECT_EQ(lifted.body, served("none", 3000));

  auto front_end = announce(*host, "/unlimited", 5001);
  EXPECT_EQ(front_end.status, 413) << front_end.body;
  EXPECT_EQ(times_ran(*host, "/unlimited"), 1);
}

INSTANTIATE_TEST_SUITE_P(InProcess, InProcessBodyLimitsTest, ::testing::Values("inprocess"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace ancm::test
