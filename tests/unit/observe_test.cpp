// The access log's line formats and escaping, the metrics' exposition text
// and the admin listener's answers: pure functions, no I/O.
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "ancm/server/command_line.h"
#include "observe/access_log_format.h"
#include "observe/admin_answer.h"
#include "observe/child_events.h"
#include "observe/metrics.h"

namespace ancm::server {
namespace {

using namespace std::chrono_literals;

RequestRecord sample_record() {
  RequestRecord r;
  r.ended = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  r.duration = 42ms;
  r.method = "GET";
  r.path = "/a b";
  r.query = "x=1";
  r.http_version = 11;
  r.status = 200;
  r.user_agent = "curl/8.0";
  r.remote_address = "127.0.0.1";
  r.local_address = "127.0.0.1";
  r.local_port = 8080;
  r.bytes_sent = 12;
  return r;
}

std::string line(AccessLogFormat format, const RequestRecord& record) {
  std::string out;
  append_access_log_line(format, record, out);
  return out;
}

TEST(AccessLogFormatTest, W3cLineHasTheFifteenFieldsInIisOrder) {
  auto text = line(AccessLogFormat::w3c, sample_record());
  EXPECT_EQ(text,
            "2023-11-14 22:13:20 127.0.0.1 GET /a+b x=1 8080 - 127.0.0.1 curl/8.0 - 200 0 0 42\n");
}

TEST(AccessLogFormatTest, W3cHeaderNamesTheFields) {
  auto header = access_log_header(AccessLogFormat::w3c,
                                  std::chrono::system_clock::time_point(1'700'000'000s));
  EXPECT_EQ(header,
            "#Software: ancm-host\n#Version: 1.0\n#Date: 2023-11-14 22:13:20\n"
            "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
            "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n");
  EXPECT_EQ(access_log_header(AccessLogFormat::combined, {}), "");
}

TEST(AccessLogFormatTest, CombinedLineIsNginxs) {
  auto record = sample_record();
  record.referer = "http://x/";
  auto text = line(AccessLogFormat::combined, record);
  std::regex combined(
      R"(127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/2023:\d\d:\d\d:20 [+-]\d{4}\] "GET /a b\?x=1 HTTP/1\.1" 200 12 "http://x/" "curl/8\.0"\n)");
  EXPECT_TRUE(std::regex_match(text, combined)) << text;
  record.http_version = 20;
  record.referer = {};
  record.user_agent = {};
  record.query = {};
  text = line(AccessLogFormat::combined, record);
  EXPECT_NE(text.find("\"GET /a b HTTP/2.0\" 200 12 \"-\" \"-\"\n"), std::string::npos) << text;
}

TEST(AccessLogFormatTest, HostileValuesCannotForgeALine) {
  auto record = sample_record();
  record.user_agent = "evil\r\n127.0.0.1 - - \"GET / HTTP/1.1\" 200\x01\x7f\xff\\";
  record.referer = "a b+c";
  for (auto format : {AccessLogFormat::w3c, AccessLogFormat::combined}) {
    auto text = line(format, record);
    ASSERT_EQ(text.find('\n'), text.size() - 1) << text;
    EXPECT_EQ(text.find('\r'), std::string::npos) << text;
    for (unsigned char c : text.substr(0, text.size() - 1)) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c) << " in " << text;
    }
    EXPECT_NE(text.find("evil\\x0D\\x0A127"), std::string::npos) << text;
    EXPECT_NE(text.find("\\x01\\x7F\\xFF\\x5C"), std::string::npos) << text;
  }
  auto w3c = line(AccessLogFormat::w3c, record);
  // No quote or space survives inside a w3c field: 15 fields, 14 spaces.
  EXPECT_EQ(std::count(w3c.begin(), w3c.end(), ' '), 14) << w3c;
  EXPECT_NE(w3c.find(" a+b\\x2Bc "), std::string::npos) << w3c;
  auto combined = line(AccessLogFormat::combined, record);
  // Exactly the six quotes of request, referer and user agent.
  EXPECT_EQ(std::count(combined.begin(), combined.end(), '"'), 6) << combined;
}

TEST(AccessLogFormatTest, ARefusedHeadIsLoggedWithoutARequestLine) {
  RequestRecord record = sample_record();
  record.method = record.path = record.query = record.user_agent = {};
  record.status = 414;
  EXPECT_NE(line(AccessLogFormat::w3c, record).find(" 127.0.0.1 - - - 8080 - 127.0.0.1 - - 414 0"),
            std::string::npos)
      << line(AccessLogFormat::w3c, record);
  EXPECT_NE(line(AccessLogFormat::combined, record).find("] \"-\" 414 "), std::string::npos);
}

TEST(AccessLogFormatTest, SubstatusIsW3cs) {
  auto record = sample_record();
  record.status = 502;
  record.substatus = 5;
  EXPECT_NE(line(AccessLogFormat::w3c, record).find(" 502 5 0 42\n"), std::string::npos);
}

// Every line of the exposition is a comment or `name{labels} value`.
void expect_exposition_format(const std::string& text) {
  std::regex sample(
      R"re([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [-+0-9.eEInf]+)re");
  std::istringstream lines(text);
  std::string one;
  while (std::getline(lines, one)) {
    if (one.starts_with("# HELP ") || one.starts_with("# TYPE ")) continue;
    EXPECT_TRUE(std::regex_match(one, sample)) << one;
  }
}

TEST(MetricsTest, CountsRequestsByClassAndModelWithAHistogram) {
  Metrics metrics(std::chrono::system_clock::time_point(1'700'000'000s), 3);
  auto record = sample_record();
  record.bytes_received = 5;
  metrics.request_ended(record, ModelLabel::inprocess);
  record.status = 503;
  record.duration = 2s;
  metrics.request_ended(record, ModelLabel::inprocess);
  record.status = 404;
  metrics.request_ended(record, ModelLabel::outofprocess);
  metrics.connection_busy();
  auto text = metrics.exposition(
      {.open_connections = 3, .app_state = shim::AppState::running, .children = {}});
  expect_exposition_format(text);
  auto has = [&text](const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("ancm_requests_total{hosting_model=\"inprocess\",code=\"2xx\"} 1")) << text;
  EXPECT_TRUE(has("ancm_requests_total{hosting_model=\"inprocess\",code=\"5xx\"} 1")) << text;
  EXPECT_TRUE(has("ancm_requests_total{hosting_model=\"outofprocess\",code=\"4xx\"} 1")) << text;
  EXPECT_TRUE(has("ancm_requests_total{hosting_model=\"outofprocess\",code=\"2xx\"} 0")) << text;
  EXPECT_TRUE(
      has("ancm_request_duration_seconds_bucket{hosting_model=\"inprocess\",le=\"0.05\"} 1"))
      << text;
  EXPECT_TRUE(has("ancm_request_duration_seconds_bucket{hosting_model=\"inprocess\",le=\"2.5\"} 2"))
      << text;
  EXPECT_TRUE(
      has("ancm_request_duration_seconds_bucket{hosting_model=\"inprocess\",le=\"+Inf\"} 2"))
      << text;
  EXPECT_TRUE(has("ancm_request_duration_seconds_count{hosting_model=\"inprocess\"} 2")) << text;
  EXPECT_TRUE(has("ancm_request_duration_seconds_sum{hosting_model=\"inprocess\"} 2.042")) << text;
  EXPECT_TRUE(has("ancm_connections{state=\"active\"} 1")) << text;
  EXPECT_TRUE(has("ancm_connections{state=\"idle\"} 2")) << text;
  EXPECT_TRUE(has("ancm_received_bytes_total 15")) << text;
  EXPECT_TRUE(has("ancm_sent_bytes_total 36")) << text;
  EXPECT_TRUE(has("ancm_worker_recycles_total 3")) << text;
  EXPECT_TRUE(has("ancm_app_state{state=\"running\"} 1")) << text;
  EXPECT_TRUE(has("ancm_app_state{state=\"offline\"} 0")) << text;
  EXPECT_TRUE(has("process_start_time_seconds 1700000000.000")) << text;
  EXPECT_NE(text.find("# TYPE ancm_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE ancm_request_duration_seconds histogram\n"), std::string::npos);
}

TEST(MetricsTest, ChildEventsAreCountedAndTheRapidFailGaugeFollowsEveryApplication) {
  Metrics metrics(std::chrono::system_clock::time_point(1'700'000'000s), 0);
  ChildEvents events;
  auto text_now = [&] {
    auto text = metrics.exposition(
        {.open_connections = 0, .app_state = shim::AppState::running, .children = events.counts()});
    expect_exposition_format(text);
    return text;
  };
  auto has = [](const std::string& text, const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  auto none = text_now();  // in-process, or nothing started yet: present, at 0
  EXPECT_TRUE(has(none, "ancm_child_starts_total 0")) << none;
  EXPECT_TRUE(has(none, "ancm_rapid_fail_blocked 0")) << none;
  EXPECT_NE(none.find("# TYPE ancm_child_crashes_total counter\n"), std::string::npos);
  EXPECT_NE(none.find("# TYPE ancm_rapid_fail_blocked gauge\n"), std::string::npos);

  for (auto event : {ANCM_HOST_EVENT_CHILD_STARTED, ANCM_HOST_EVENT_CHILD_CRASHED,
                     ANCM_HOST_EVENT_CHILD_STARTED, ANCM_HOST_EVENT_CHILD_START_FAILED,
                     ANCM_HOST_EVENT_CHILD_START_FAILED, ANCM_HOST_EVENT_RAPID_FAIL_BLOCKED}) {
    events.record(event);
  }
  events.record(static_cast<ancm_host_event>(99));  // a newer handler's: ignored
  auto text = text_now();
  EXPECT_TRUE(has(text, "ancm_child_starts_total 2")) << text;
  EXPECT_TRUE(has(text, "ancm_child_crashes_total 1")) << text;
  EXPECT_TRUE(has(text, "ancm_child_start_failures_total 2")) << text;
  EXPECT_TRUE(has(text, "ancm_rapid_fail_blocked 1")) << text;
  // A new application (web.config changed) blocked too, then the old one stopped.
  events.record(ANCM_HOST_EVENT_RAPID_FAIL_BLOCKED);
  events.record(ANCM_HOST_EVENT_RAPID_FAIL_UNBLOCKED);
  EXPECT_TRUE(has(text_now(), "ancm_rapid_fail_blocked 1"));
  events.record(ANCM_HOST_EVENT_RAPID_FAIL_UNBLOCKED);
  EXPECT_TRUE(has(text_now(), "ancm_rapid_fail_blocked 0"));
}

TEST(AdminAnswerTest, ServesMetricsAndHealthToGetAndHeadOnly) {
  shim::AppState state = shim::AppState::running;
  AdminSources sources{.metrics = [] { return std::string("m 1\n"); },
                       .app_state = [&state] { return state; }};
  auto metrics = admin_answer("GET", "/metrics", sources);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body, "m 1\n");
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(admin_answer("HEAD", "/metrics", sources).status, 200);
  EXPECT_EQ(admin_answer("POST", "/metrics", sources).status, 405);
  EXPECT_TRUE(admin_answer("DELETE", "/healthz", sources).allow_header);
  EXPECT_EQ(admin_answer("GET", "/", sources).status, 404);
  EXPECT_EQ(admin_answer("GET", "/metricsx", sources).status, 404);
  EXPECT_EQ(admin_answer("GET", "/healthz", sources).status, 200);
  for (auto bad : {shim::AppState::offline, shim::AppState::failed, shim::AppState::config_error}) {
    state = bad;
    auto health = admin_answer("GET", "/healthz?verbose", sources);
    EXPECT_EQ(health.status, 503) << shim::to_string(bad);
    EXPECT_EQ(health.body, std::string(shim::to_string(bad)) + "\n");
  }
  state = shim::AppState::starting;  // it starts at the next request
  EXPECT_EQ(admin_answer("GET", "/healthz", sources).status, 200);
}

TEST(ObserveFlagsTest, AccessLogAndAdminFlagsParseAndReachTheWorker) {
  auto parsed = parse_run_arguments({"app", "--access-log", "/var/log/a.log", "--access-log-format",
                                     "combined", "--admin-listen", "127.0.0.1:9100"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().access_log.path, "/var/log/a.log");
  EXPECT_EQ(parsed.value().access_log.format, AccessLogFormat::combined);
  EXPECT_EQ(parsed.value().admin_listen, "http://127.0.0.1:9100");
  auto defaults = parse_run_arguments({"app"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults.value().access_log.enabled());
  EXPECT_EQ(defaults.value().access_log.format, AccessLogFormat::w3c);
  EXPECT_TRUE(defaults.value().admin_listen.empty());

  WorkerOptions worker;
  worker.target = "app";
  worker.control_fd = 9;
  worker.access_log = parsed.value().access_log;
  worker.admin_listen_fds = {7, 8};
  worker.recycles = 4;
  auto back = parse_worker_arguments(worker_arguments(worker));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value().access_log.path, "/var/log/a.log");
  EXPECT_EQ(back.value().access_log.format, AccessLogFormat::combined);
  EXPECT_EQ(back.value().admin_listen_fds, (std::vector<int>{7, 8}));
  EXPECT_EQ(back.value().recycles, 4);
}

TEST(ObserveFlagsTest, BadValuesAreRefusedNamingTheFlag) {
  auto format = parse_run_arguments({"app", "--access-log-format", "json"});
  ASSERT_FALSE(format.ok());
  EXPECT_NE(format.error().find("--access-log-format"), std::string::npos);
  for (const char* admin : {"unix:/tmp/a.sock", "https://127.0.0.1:9100", "nonsense"}) {
    auto refused = parse_run_arguments({"app", "--admin-listen", admin});
    ASSERT_FALSE(refused.ok()) << admin;
    EXPECT_NE(refused.error().find("--admin-listen"), std::string::npos) << refused.error();
  }
  // Never an app listener's address: the same, a wildcard or localhost.
  for (const char* listen : {"http://127.0.0.1:9100", "http://*:9100", "http://localhost:9100"}) {
    auto clash =
        parse_run_arguments({"app", "--listen", listen, "--admin-listen", "127.0.0.1:9100"});
    ASSERT_FALSE(clash.ok()) << listen;
    EXPECT_NE(clash.error().find("the admin address must be another one"), std::string::npos);
  }
  EXPECT_TRUE(parse_run_arguments(
                  {"app", "--listen", "http://127.0.0.1:9101", "--admin-listen", "127.0.0.1:9100"})
                  .ok());
}

}  // namespace
}  // namespace ancm::server
