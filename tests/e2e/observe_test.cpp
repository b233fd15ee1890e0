// Logs, metrics and health end to end: --access-log (w3c and combined, both
// hostingModels, HTTP/1.1 and HTTP/2, the host's own answers, hostile
// values, logrotate's SIGUSR1), and --admin-listen's /metrics (the exposition
// parsed, counters moved by exactly the requests sent) and /healthz.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "ancm/server/master.h"
#include "app_fixture.h"
#include "command_output.h"
#include "free_port.h"
#include "host_process.h"
#include "http_client.h"
#include "pid_text.h"
#include "temp_dir.h"
#include "test_certificates.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The request lines of a log (w3c's #directives left out).
std::vector<std::string> entries(const std::filesystem::path& path) {
  std::vector<std::string> kept;
  for (auto& line : lines_of(path)) {
    if (!line.starts_with("#")) kept.push_back(line);
  }
  return kept;
}

// Space-separated w3c fields of one line.
std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string field;
  while (in >> field) out.push_back(field);
  return out;
}

// The w3c fields, by the names the #Fields line gives them.
std::map<std::string, std::string> w3c_entry(const std::vector<std::string>& header,
                                             const std::string& line) {
  std::vector<std::string> names;
  for (const auto& directive : header) {
    if (directive.starts_with("#Fields: ")) names = fields(directive.substr(9));
  }
  auto values = fields(line);
  std::map<std::string, std::string> entry;
  EXPECT_EQ(names.size(), values.size()) << line;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) entry[names[i]] = values[i];
  return entry;
}

// Lines appear within a second (the writer's flush); a test waits for them.
bool wait_for_entries(const std::filesystem::path& path, std::size_t count) {
  return eventually([&] { return entries(path).size() >= count; }, 15s);
}

// The master prints it right after the app's listeners:
// "ancm-host: admin (/metrics, /healthz) on http://127.0.0.1:PORT".
uint16_t admin_port(const HostProcess& host) {
  uint16_t port = 0;
  eventually([&] {
    auto output = host.output();
    auto at = output.find(server::kAdminOn);
    if (at == std::string::npos) return false;
    auto end = output.find('\n', at);
    if (end == std::string::npos) return false;
    auto colon = output.rfind(':', end);
    port = static_cast<uint16_t>(std::stoi(output.substr(colon + 1, end - colon - 1)));
    return true;
  });
  return port;
}

// A request's line goes out once its response was written: lines of
// requests on different connections may come in either order.
std::string entry_with(const std::vector<std::string>& logged, const std::string& needle) {
  for (const auto& line : logged) {
    if (line.find(needle) != std::string::npos) return line;
  }
  ADD_FAILURE() << "no line with " << needle;
  return {};
}

// The exposition parsed: every line a comment or `name{labels} value`;
// samples by their full name with labels.
std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> samples;
  std::regex sample(
      R"re(([a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})?) ([-+0-9.eE]+|\+Inf))re");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
    std::smatch match;
    EXPECT_TRUE(std::regex_match(line, match, sample)) << "not in the exposition format: " << line;
    if (!match.empty()) samples[match[1].str()] = std::stod(match[4].str());
  }
  return samples;
}

std::map<std::string, double> scrape_metrics(uint16_t port) {
  auto response = http_get(port, "/metrics");
  EXPECT_TRUE(response);
  if (!response) return {};
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parse_metrics(response->body);
}

class ObserveTest : public ::testing::Test {
 protected:
  std::unique_ptr<HostProcess> start(const WebConfig& config, std::vector<std::string> args,
                                     std::map<std::string, std::string> env = {}) {
    write_file(app_ / "web.config", config.text());
    HostOptions options;
    options.target = app_.path();
    options.env = std::move(env);
    options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
    options.extra_args = std::move(args);
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  std::map<std::string, double> scrape(uint16_t port) { return scrape_metrics(port); }

  int health(uint16_t port) {
    auto response = http_get(port, "/healthz");
    return response ? response->status : 0;
  }

  TempDir app_{"ancm-observe"};
  TempDir logs_{"ancm-observe-logs"};
};

WebConfig with_model(const std::string& model) {
  WebConfig config;
  config.hosting_model = model;
  return config;
}

// ------------------------------------------------------------------ access log

TEST_F(ObserveTest, W3cLogsEveryRequestWithIisFields) {
  auto log = logs_ / "access.log";
  auto host = start(with_model("outofprocess"), {"--access-log", log.string()});
  ASSERT_EQ(http_get(host->port(), "/status?code=201", "Referer: http://r/x y\r\n")->status, 201);
  ASSERT_EQ(http_get(host->port(), "/nothing")->status, 404);
  // The shim's 502.5 page: sc-substatus says 5.
  ASSERT_EQ(http_get(host->port(), "/fail?status=502&sub=5")->status, 502);
  ASSERT_TRUE(wait_for_entries(log, 3)) << read_file(log);
  auto all = lines_of(log);
  ASSERT_GE(all.size(), 7u);
  EXPECT_EQ(all[0], "#Software: ancm-host");
  EXPECT_EQ(all[1], "#Version: 1.0");
  EXPECT_TRUE(all[2].starts_with("#Date: ")) << all[2];
  auto logged = entries(log);
  ASSERT_EQ(logged.size(), 3u) << read_file(log);
  auto first = w3c_entry(all, entry_with(logged, " /status "));
  EXPECT_EQ(first["cs-method"], "GET");
  EXPECT_EQ(first["cs-uri-stem"], "/status");
  EXPECT_EQ(first["cs-uri-query"], "code=201");
  EXPECT_EQ(first["s-port"], std::to_string(host->port()));
  EXPECT_EQ(first["c-ip"], "127.0.0.1");
  EXPECT_EQ(first["s-ip"], "127.0.0.1");
  EXPECT_EQ(first["cs(Referer)"], "http://r/x+y");
  EXPECT_EQ(first["sc-status"], "201");
  EXPECT_EQ(first["sc-substatus"], "0");
  EXPECT_TRUE(std::regex_match(first["time-taken"], std::regex("[0-9]+")));
  EXPECT_TRUE(std::regex_match(first["date"], std::regex(R"(\d{4}-\d\d-\d\d)")));
  auto second = w3c_entry(all, entry_with(logged, " /nothing "));
  EXPECT_EQ(second["cs-uri-query"], "-");
  EXPECT_EQ(second["sc-status"], "404");
  auto third = w3c_entry(all, entry_with(logged, " /fail "));
  EXPECT_EQ(third["sc-status"], "502");
  EXPECT_EQ(third["sc-substatus"], "5");
}

TEST_F(ObserveTest, CombinedLogsHttp2AndTheHostsOwnAnswers) {
  auto log = logs_ / "access.log";
  auto host = start(with_model("inprocess"), {"--access-log", log.string(), "--access-log-format",
                                              "combined", "--max-uri-bytes", "64"});
  auto url = "http://127.0.0.1:" + std::to_string(host->port());
  auto h2 = command_output(
      "curl -s -o /dev/null --http2-prior-knowledge -A 'h2-agent' -w "
      "'%{http_code}|%{http_version}' " +
      url + "/status?code=202");
  ASSERT_EQ(h2, "202|2");
  // 414: the front end answers, no handler sees it.
  ASSERT_EQ(http_get(host->port(), "/" + std::string(100, 'a'))->status, 414);
  // An HTTP/2 head the host refuses (a target over --max-uri-bytes) too.
  auto refused = command_output("curl -s -o /dev/null --http2-prior-knowledge -w '%{http_code}' " +
                                url + "/" + std::string(100, 'b'));
  ASSERT_EQ(refused, "414");
  ASSERT_TRUE(wait_for_entries(log, 3)) << read_file(log);
  auto logged = entries(log);
  ASSERT_EQ(logged.size(), 3u) << read_file(log);
  std::regex combined(
      R"re(127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "(.*)" (\d{3}) (\d+) "(.*)" "(.*)")re");
  std::smatch match;
  auto h2_line = entry_with(logged, "/status?code=202");
  ASSERT_TRUE(std::regex_match(h2_line, match, combined)) << h2_line;
  EXPECT_EQ(match[1].str(), "GET /status?code=202 HTTP/2.0");
  EXPECT_EQ(match[2].str(), "202");
  EXPECT_EQ(match[3].str(), "11");  // "status 202\n"
  EXPECT_EQ(match[4].str(), "-");
  EXPECT_EQ(match[5].str(), "h2-agent");
  auto refused_line = entry_with(logged, "\"-\" 414");
  ASSERT_TRUE(std::regex_match(refused_line, match, combined)) << refused_line;
  EXPECT_EQ(match[1].str(), "-");  // a refused HTTP/1.1 head has no request line to trust
  EXPECT_EQ(match[2].str(), "414");
  auto h2_refused_line = entry_with(logged, "/bbbb");
  ASSERT_TRUE(std::regex_match(h2_refused_line, match, combined)) << h2_refused_line;
  EXPECT_EQ(match[1].str(), "GET /" + std::string(100, 'b') + " HTTP/2.0");
  EXPECT_EQ(match[2].str(), "414");
}

// Over TLS, HTTP/1.1 and HTTP/2 (ALPN) alike: one line each.
TEST_F(ObserveTest, LogsRequestsOverTls) {
  TestCertificates certificates;
  auto leaf = certificates.issue("a", {"a.example.test"});
  auto log = logs_ / "access.log";
  write_file(app_ / "web.config", with_model("outofprocess").text());
  HostOptions options;
  options.target = app_.path();
  options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
  options.listen = "https://127.0.0.1:0";
  options.extra_args = leaf.server_args();
  options.extra_args.insert(options.extra_args.end(),
                            {"--access-log", log.string(), "--access-log-format", "combined"});
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  auto port = std::to_string(host.port());
  for (const char* version : {"--http1.1", "--http2"}) {
    auto out = command_output("curl -s -o /dev/null -w '%{http_version}' " + std::string(version) +
                              " --cacert " + certificates.ca_file().string() +
                              " --resolve a.example.test:" + port +
                              ":127.0.0.1 https://a.example.test:" + port + "/status?code=203");
    EXPECT_EQ(out, std::string(version) == "--http2" ? "2" : "1.1");
  }
  ASSERT_TRUE(wait_for_entries(log, 2)) << read_file(log);
  auto logged = entries(log);
  ASSERT_EQ(logged.size(), 2u) << read_file(log);
  entry_with(logged, "\"GET /status?code=203 HTTP/1.1\" 203 ");
  entry_with(logged, "\"GET /status?code=203 HTTP/2.0\" 203 ");
}

TEST_F(ObserveTest, AHostileUserAgentCannotForgeALine) {
  for (const char* format : {"w3c", "combined"}) {
    SCOPED_TRACE(format);
    auto log = logs_ / (std::string(format) + ".log");
    auto host = start(with_model("outofprocess"),
                      {"--access-log", log.string(), "--access-log-format", format});
    // Quotes, a backslash, a tab and bytes over 0x7f are legal in a field
    // value; a forged line is their aim.
    std::string agent = "x\" 200 1 \"-\" \"\\\tforged\xff\xc3\xa9";
    ASSERT_EQ(http_get(host->port(), "/", "User-Agent: " + agent + "\r\n")->status, 200);
    // CR or LF inside a value breaks HTTP/1.1: the host refuses the head (400)
    // and logs that, nothing of the value.
    HttpConnection raw(host->port());
    raw.send("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a\rb\r\n\r\n");
    auto refused = raw.read_response(5s);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400);
    // HTTP/2 carries no CR/LF in values either (nghttp2 refuses the stream);
    // the URL's %0D%0A stays as sent.
    auto url = "http://127.0.0.1:" + std::to_string(host->port());
    command_output("curl -s -o /dev/null --http2-prior-knowledge '" + url +
                   "/nothing%0D%0A127.0.0.1+-+-'");
    ASSERT_TRUE(wait_for_entries(log, 3)) << read_file(log);
    auto logged = entries(log);
    ASSERT_EQ(logged.size(), 3u) << read_file(log);
    auto agent_line = entry_with(logged, "forged");
    for (const auto& line : logged) {
      for (unsigned char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c) << " in " << line;
    }
    if (std::string(format) == "w3c") {
      auto header = lines_of(log);
      auto entry = w3c_entry(header, agent_line);
      EXPECT_EQ(entry["cs(User-Agent)"],
                "x\\x22+200+1+\\x22-\\x22+\\x22\\x5C\\x09forged\\xFF\\xC3\\xA9");
      EXPECT_EQ(fields(agent_line).size(), 15u);
      EXPECT_EQ(w3c_entry(header, entry_with(logged, " 400 "))["sc-status"], "400");
    } else {
      EXPECT_NE(
          agent_line.find("\"x\\x22 200 1 \\x22-\\x22 \\x22\\x5C\\x09forged\\xFF\\xC3\\xA9\""),
          std::string::npos)
          << agent_line;
      EXPECT_EQ(std::count(agent_line.begin(), agent_line.end(), '"'), 6) << agent_line;
    }
    // w3c writes '+' as \x2B: its '+' stands for a space.
    entry_with(logged, std::string(format) == "w3c" ? "/nothing%0D%0A127.0.0.1\\x2B-\\x2B-"
                                                    : "/nothing%0D%0A127.0.0.1+-+-");
  }
}

// Requests on `clients` keep-alive connections until stopped; counts the 200s.
class RequestStream {
 public:
  RequestStream(uint16_t port, int clients) {
    for (int c = 0; c < clients; ++c) {
      threads_.emplace_back([this, port, c] {
        auto connection = std::make_unique<HttpConnection>(port);
        while (sending_) {
          connection->send(get_request("/status?code=200&client=" + std::to_string(c)));
          auto response = connection->read_response(10s);
          if (response && response->status == 200) ++answered_;
          // A connection the server ends (the old worker's drain) is replaced.
          if (!response || !response->keep_alive)
            connection = std::make_unique<HttpConnection>(port);
        }
      });
    }
  }
  ~RequestStream() { stop(); }
  RequestStream(const RequestStream&) = delete;
  RequestStream& operator=(const RequestStream&) = delete;
  int answered() const { return answered_; }
  // Joins the clients once each has its last response.
  int stop() {
    sending_ = false;
    threads_.clear();
    return answered_;
  }

 private:
  std::atomic<bool> sending_{true};
  std::atomic<int> answered_{0};
  std::vector<std::jthread> threads_;
};

// An overlapped recycle under a stream of requests: the old worker writes
// what it holds before it exits, both append to the same file.
TEST_F(ObserveTest, ARecycleLosesNoLine) {
  auto log = logs_ / "access.log";
  auto host = start(with_model("outofprocess"), {"--access-log", log.string()});
  RequestStream stream(host->port(), 4);
  ASSERT_TRUE(eventually([&] { return stream.answered() > 200; }, 30s));
  host->signal(SIGHUP);
  ASSERT_TRUE(host->wait_for_output("recycled (SIGHUP)", 30s)) << host->output();
  int at_recycle = stream.answered();
  ASSERT_TRUE(eventually([&] { return stream.answered() > at_recycle + 200; }, 30s));
  int answered = stream.stop();
  host->signal(SIGTERM);
  ASSERT_EQ(host->wait_exit(30s), 0) << host->output();
  auto logged = entries(log);
  EXPECT_EQ(logged.size(), static_cast<std::size_t>(answered));
  // Two workers wrote: two header blocks.
  auto all = lines_of(log);
  EXPECT_EQ(std::count(all.begin(), all.end(), "#Version: 1.0"), 2);
}

// logrotate's recipe under a stream of requests: mv, then SIGUSR1 to the
// master. Every request is in exactly one of the two files.
TEST_F(ObserveTest, Sigusr1ReopensTheLogWithoutLosingOrDuplicatingALine) {
  auto log = logs_ / "access.log";
  auto rotated = logs_ / "access.log.1";
  auto host = start(with_model("outofprocess"), {"--access-log", log.string()});
  RequestStream stream(host->port(), 4);
  ASSERT_TRUE(eventually([&] { return stream.answered() > 200; }, 30s));
  ASSERT_TRUE(wait_for_entries(log, 1));
  std::filesystem::rename(log, rotated);
  int at_rotation = stream.answered();
  host->signal(SIGUSR1);
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(log); }, 10s)) << host->output();
  ASSERT_TRUE(eventually([&] { return stream.answered() > at_rotation + 200; }, 30s));
  int answered = stream.stop();
  host->signal(SIGTERM);
  ASSERT_EQ(host->wait_exit(30s), 0) << host->output();
  EXPECT_TRUE(host->output().find(std::string(server::kReopeningAccessLog)) != std::string::npos);
  auto old_lines = entries(rotated);
  auto new_lines = entries(log);
  EXPECT_GT(new_lines.size(), 0u);
  EXPECT_EQ(old_lines.size() + new_lines.size(), static_cast<std::size_t>(answered))
      << "old " << old_lines.size() << ", new " << new_lines.size();
  // The new file starts with its own header.
  EXPECT_EQ(lines_of(log).front(), "#Software: ancm-host");
}

// ------------------------------------------------------------------ metrics

TEST_F(ObserveTest, MetricsMoveByExactlyTheRequestsSent) {
  auto host =
      start(with_model("outofprocess"), {"--admin-listen", "127.0.0.1:0", "--max-uri-bytes", "64"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  auto before = scrape(admin);
  const std::string ok = "ancm_requests_total{hosting_model=\"outofprocess\",code=\"2xx\"}";
  const std::string client_error =
      "ancm_requests_total{hosting_model=\"outofprocess\",code=\"4xx\"}";
  const std::string server_error =
      "ancm_requests_total{hosting_model=\"outofprocess\",code=\"5xx\"}";
  const std::string count = "ancm_request_duration_seconds_count{hosting_model=\"outofprocess\"}";
  const std::string inf =
      "ancm_request_duration_seconds_bucket{hosting_model=\"outofprocess\",le=\"+Inf\"}";
  ASSERT_TRUE(before.count(ok)) << "no " << ok;
  EXPECT_EQ(before["ancm_app_state{state=\"running\"}"], 1);
  EXPECT_GT(before["process_start_time_seconds"], 1.6e9);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(http_get(host->port(), "/")->status, 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(http_get(host->port(), "/nothing")->status, 404);
  ASSERT_EQ(http_get(host->port(), "/" + std::string(100, 'a'))->status, 414);  // the host's own
  ASSERT_EQ(http_get(host->port(), "/fail?status=502&sub=5")->status, 502);
  auto url = "http://127.0.0.1:" + std::to_string(host->port()) + "/";
  ASSERT_EQ(command_output("curl -s -o /dev/null --http2-prior-knowledge -w '%{http_code}' " + url),
            "200");
  std::map<std::string, double> after;
  // The count moves as each request's end is seen, right after its last byte.
  ASSERT_TRUE(eventually([&] {
    after = scrape(admin);
    return after[count] >= before[count] + 11;
  })) << after[count];
  EXPECT_EQ(after[ok] - before[ok], 6);
  EXPECT_EQ(after[client_error] - before[client_error], 4);
  EXPECT_EQ(after[server_error] - before[server_error], 1);
  EXPECT_EQ(after[count] - before[count], 11);
  EXPECT_EQ(after[inf], after[count]);
  EXPECT_GT(after["ancm_sent_bytes_total"], before["ancm_sent_bytes_total"]);
  // Scrapes are not requests: the admin listener counts nothing of its own.
  EXPECT_EQ(scrape(admin)[count], after[count]);
  // The histogram is cumulative.
  double last = 0;
  for (const auto& [name, value] : after) {
    if (!name.starts_with("ancm_request_duration_seconds_bucket{hosting_model=\"outofprocess\""))
      continue;
    EXPECT_LE(value, after[inf]) << name;
    last = std::max(last, value);
  }
  EXPECT_EQ(last, after[inf]);
}

TEST_F(ObserveTest, TheAdminListenerAndTheAppListenerServeOnlyTheirOwn) {
  auto host = start(with_model("outofprocess"), {"--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  auto app_request = http_get(admin, "/");
  ASSERT_TRUE(app_request);
  EXPECT_EQ(app_request->status, 404);
  EXPECT_EQ(app_request->body.find("Hello"), std::string::npos);
  EXPECT_EQ(http_get(admin, "/status?code=200")->status, 404);
  HttpConnection post(admin);
  post.send("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  auto refused = post.read_response(5s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 405);
  EXPECT_EQ(refused->header("allow"), "GET, HEAD");
  // The app listener's /metrics is the app's (the test handler: 404 "not found").
  auto on_app = http_get(host->port(), "/metrics");
  ASSERT_TRUE(on_app);
  EXPECT_EQ(on_app->body, "not found: /metrics\n");
  EXPECT_EQ(on_app->body.find("ancm_requests_total"), std::string::npos);
}

TEST(ObserveCliTest, TheAdminAddressCannotBeAnAppListener) {
  TempDir app("ancm-observe-cli");
  WebConfig config;
  write_file(app / "web.config", config.text());
  HostOptions options;
  options.target = app.path();
  auto port = std::to_string(free_tcp_port());
  options.listen = "http://127.0.0.1:" + port;
  options.extra_args = {"--admin-listen", "127.0.0.1:" + port};
  HostProcess host(options);
  EXPECT_FALSE(host.started());
  auto status = host.wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0);
  EXPECT_NE(host.output().find("the admin address must be another one"), std::string::npos)
      << host.output();
}

// ------------------------------------------------------------------ health

TEST_F(ObserveTest, HealthIs200WhileServingAnd503WhileAppOffline) {
  auto host = start(with_model("outofprocess"), {"--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  ASSERT_EQ(http_get(host->port(), "/")->status, 200);
  EXPECT_EQ(health(admin), 200);
  EXPECT_EQ(http_get(admin, "/healthz")->body, "running\n");
  write_file(app_ / "app_offline.htm", "<h1>down for maintenance</h1>");
  ASSERT_TRUE(eventually([&] { return http_get(host->port(), "/")->status == 503; }));
  EXPECT_EQ(health(admin), 503);
  EXPECT_EQ(http_get(admin, "/healthz")->body, "offline\n");
  auto metrics = scrape(admin);
  EXPECT_EQ(metrics["ancm_app_state{state=\"offline\"}"], 1);
  EXPECT_EQ(metrics["ancm_app_state{state=\"running\"}"], 0);
  std::filesystem::remove(app_ / "app_offline.htm");
  ASSERT_TRUE(eventually([&] { return http_get(host->port(), "/")->status == 200; }));
  EXPECT_EQ(health(admin), 200);
}

// A start-up error page the handler answers a request with (here 502.5, as
// for a child that cannot start) makes /healthz 503 until the app answers again.
TEST_F(ObserveTest, HealthFollowsTheStartUpFailuresRequestsMeet) {
  auto host = start(with_model("outofprocess"), {"--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  ASSERT_EQ(http_get(host->port(), "/fail?status=502&sub=5")->status, 502);
  ASSERT_TRUE(eventually([&] { return health(admin) == 503; }));
  EXPECT_EQ(http_get(admin, "/healthz")->body, "failed\n");
  // An HTTP/2 head the host refuses itself (414) is no sign the app serves.
  std::string url =
      "http://127.0.0.1:" + std::to_string(host->port()) + "/" + std::string(9000, 'x');
  ASSERT_EQ(command_output("curl -s -o /dev/null --http2-prior-knowledge -w '%{http_code}' " + url),
            "414");
  EXPECT_EQ(health(admin), 503);
  ASSERT_EQ(http_get(host->port(), "/")->status, 200);
  EXPECT_TRUE(eventually([&] { return health(admin) == 200; }));
}

// The admin port holds at most 64 connections: one more is closed at once,
// and a place freed serves again.
TEST_F(ObserveTest, TheAdminPortHoldsABoundedNumberOfConnections) {
  auto host = start(with_model("outofprocess"), {"--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 64; ++i) {
    held.push_back(std::make_unique<HttpConnection>(admin));
    ASSERT_TRUE(held.back()->connected());
  }
  // Each of them is a session once the worker accepted it: one answered
  // request per connection proves it.
  for (auto& connection : held) {
    connection->send("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_TRUE(connection->read_response());
  }
  HttpConnection extra(admin);
  ASSERT_TRUE(extra.connected());
  EXPECT_TRUE(extra.closed_by_peer());
  held.front()->close();
  EXPECT_TRUE(eventually([&] {
    auto response = http_get(admin, "/healthz");
    return response && response->status == 200;
  }));
}

TEST_F(ObserveTest, HealthIs503ForAnAppThatFailsToStart) {
  for (const char* model : {"outofprocess", "inprocess"}) {
    SCOPED_TRACE(model);
    auto config = with_model(model);
    bool in_process = std::string(model) == "inprocess";
    config.environment = {{"TEST_HANDLER_FAIL_CREATE", in_process ? "500.30" : "502.5"}};
    auto log = logs_ / (std::string(model) + ".log");
    auto host = start(config, {"--admin-listen", "127.0.0.1:0", "--access-log", log.string()});
    auto admin = admin_port(*host);
    ASSERT_NE(admin, 0) << host->output();
    EXPECT_EQ(health(admin), 503);
    EXPECT_EQ(http_get(admin, "/healthz")->body, "failed\n");
    EXPECT_EQ(scrape(admin)["ancm_app_state{state=\"failed\"}"], 1);
    ASSERT_EQ(http_get(host->port(), "/")->status, in_process ? 500 : 502);
    ASSERT_TRUE(wait_for_entries(log, 1));
    auto entry = w3c_entry(lines_of(log), entries(log).front());
    EXPECT_EQ(entry["sc-substatus"], in_process ? "30" : "5");
  }
}

// ------------------------------------------------------------------ real apps

class ObserveAppTest : public PublishedAppTest, public ::testing::WithParamInterface<const char*> {
 protected:
  ObserveAppTest() : PublishedAppTest("ancm-observe-app") {}
  TempDir logs_{"ancm-observe-app-logs"};
};

// Both formats for the real Hello app in each hostingModel; the metrics
// label the model.
TEST_P(ObserveAppTest, LogsAndCountsTheAppsRequests) {
  AspNetCoreEdit edit;
  edit.hosting_model = GetParam();
  auto w3c = logs_ / "w3c.log";
  auto host =
      serve("Hello", edit, {}, {"--access-log", w3c.string(), "--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  EXPECT_EQ(get(*host, "/", "User-Agent: e2e\r\n").body, "Hello World!");
  EXPECT_EQ(get(*host, "/missing").status, 404);
  ASSERT_TRUE(wait_for_entries(w3c, 2)) << read_file(w3c);
  auto header = lines_of(w3c);
  auto logged = entries(w3c);
  ASSERT_EQ(logged.size(), 2u) << read_file(w3c);
  auto first = w3c_entry(header, entry_with(logged, " GET / - "));
  EXPECT_EQ(first["cs-uri-stem"], "/");
  EXPECT_EQ(first["cs(User-Agent)"], "e2e");
  EXPECT_EQ(first["sc-status"], "200");
  EXPECT_EQ(w3c_entry(header, entry_with(logged, " /missing "))["sc-status"], "404");
  std::string model = GetParam();
  auto metrics = scrape_metrics(admin);
  EXPECT_EQ(metrics["ancm_requests_total{hosting_model=\"" + model + "\",code=\"2xx\"}"], 1);
  EXPECT_EQ(metrics["ancm_requests_total{hosting_model=\"" + model + "\",code=\"4xx\"}"], 1);
  host.reset();

  auto combined = logs_ / "combined.log";
  auto second = serve("Hello", edit, {},
                      {"--access-log", combined.string(), "--access-log-format", "combined"});
  EXPECT_EQ(get(*second, "/?q=1", "Referer: http://ref/\r\nUser-Agent: e2e\r\n").status, 200);
  ASSERT_TRUE(wait_for_entries(combined, 1)) << read_file(combined);
  auto line = entries(combined).front();
  EXPECT_TRUE(std::regex_match(
      line,
      std::regex(
          R"re(127\.0\.0\.1 - - \[.*\] "GET /\?q=1 HTTP/1\.1" 200 12 "http://ref/" "e2e")re")))
      << line;
}

// Main throws after the app was created: the worker knows it from its
// preload, so /healthz says so before any request met the 500.30.
TEST_F(ObserveAppTest, HealthIs503BeforeAnyRequestWhenMainThrows) {
  AspNetCoreEdit edit;
  edit.hosting_model = "inprocess";
  auto host = serve("ThrowsInMain", edit, {}, {"--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  ASSERT_TRUE(host->wait_for_output(std::string(server::kWorkerIsUp), 30s)) << host->output();
  auto health = http_get(admin, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body, "failed\n");
}

// /metrics counts the out-of-process children the handler reports: a child
// killed under the app is a crash, and its replacement a second start.
TEST_F(ObserveAppTest, AKilledChildIsACrashAndItsReplacementASecondStart) {
  auto host = serve("PrintsEnv", {}, {}, {"--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  pid_t first = to_pid(get(*host, "/pid").body);
  ASSERT_GT(first, 0) << host->output();
  auto before = scrape_metrics(admin);
  EXPECT_EQ(before["ancm_child_starts_total"], 1);
  EXPECT_EQ(before["ancm_child_crashes_total"], 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  // The manager sees the exit at once; the replacement waits for a request.
  EXPECT_TRUE(
      eventually([&] { return scrape_metrics(admin)["ancm_child_crashes_total"] == 1; }, 30s))
      << host->output();
  EXPECT_GT(replacement_pid(host->port(), first), 0) << host->output();
  auto after = scrape_metrics(admin);
  EXPECT_EQ(after["ancm_child_starts_total"], 2);
  EXPECT_EQ(after["ancm_child_crashes_total"], 1);
  EXPECT_EQ(after["ancm_child_start_failures_total"], 0);
  EXPECT_EQ(after["ancm_rapid_fail_blocked"], 0);
}

// An app that exits at once: each start fails, and past rapidFailsPerMinute
// the gauge says starts are refused.
TEST_F(ObserveAppTest, RapidFailProtectionIsAGauge) {
  AspNetCoreEdit edit;
  edit.extra_attributes = R"(rapidFailsPerMinute="2")";
  auto host = serve("AlwaysCrashes", edit, {}, {"--admin-listen", "127.0.0.1:0"});
  auto admin = admin_port(*host);
  ASSERT_NE(admin, 0) << host->output();
  EXPECT_EQ(scrape_metrics(admin)["ancm_rapid_fail_blocked"], 0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(get(*host, "/").status, 502);
  auto metrics = scrape_metrics(admin);
  EXPECT_EQ(metrics["ancm_rapid_fail_blocked"], 1) << host->output();
  EXPECT_EQ(metrics["ancm_child_starts_total"], 3);
  EXPECT_EQ(metrics["ancm_child_start_failures_total"], 3);
  EXPECT_EQ(metrics["ancm_child_crashes_total"], 0);
}

INSTANTIATE_TEST_SUITE_P(BothModels, ObserveAppTest,
                         ::testing::Values("inprocess", "outofprocess"));

}  // namespace
}  // namespace ancm::test
