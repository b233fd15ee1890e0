// `ancm-host check` and the command line, run as a real process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>

#include "ancm/server/listen_address.h"
#include "host_process.h"
#include "temp_dir.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult run_command(const std::string& command, const std::filesystem::path& target,
                          std::vector<std::string> extra = {}) {
  HostOptions options;
  options.command = command;
  options.target = target;
  options.extra_args = std::move(extra);
  HostProcess process(options);
  auto status = process.wait_exit(10s);
  return {status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, process.output()};
}

TEST(CheckCommand, PrintsTheResolvedConfiguration) {
  TempDir app("ancm-cli");
  WebConfig config;
  config.extra_attributes = R"(startupTimeLimit="30")";
  config.environment = {{"ASPNETCORE_ENVIRONMENT", "Staging"}};
  write_file(app / "web.config", config.text());
  auto result = run_command("check", app.path());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("hostingModel"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("outofprocess"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("30"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("ASPNETCORE_ENVIRONMENT"), std::string::npos) << result.output;
  // Defaults are shown as such.
  EXPECT_NE(result.output.find("(default)"), std::string::npos) << result.output;
}

// The listeners `run` would serve with the same flags, each with its scheme,
// TLS, HTTP/2 and a unix: socket's file, mode and group; nothing is bound.
TEST(CheckCommand, ListsTheListenersItWouldServe) {
  TempDir app("ancm-cli");
  write_file(app / "web.config", WebConfig{}.text());
  std::string listener(server::kCheckListenerLabel), tls(server::kCheckTlsLabel),
      http2(server::kCheckHttp2Label), socket_file(server::kCheckSocketFileLabel);

  auto defaults = run_command("check", app.path());
  EXPECT_EQ(defaults.exit_code, 0) << defaults.output;
  EXPECT_NE(defaults.output.find(listener + std::string(server::kDefaultListenUrl) + "\n  " + tls +
                                 "no\n  " + http2 + "on (h2c"),
            std::string::npos)
      << defaults.output;

  auto socket = app / "app.sock";
  auto listed =
      run_command("check", app.path(),
                  {"--listen", "http://127.0.0.1:8081", "--listen", "unix:" + socket.string(),
                   "--unix-socket-mode", "0600", "--unix-socket-group", "www-data"});
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find(listener + "http://127.0.0.1:8081\n  " + tls + "no\n  " + http2 +
                               "on (h2c"),
            std::string::npos)
      << listed.output;
  EXPECT_NE(listed.output.find(listener + "http://unix:" + socket.string() + "\n  " + tls +
                               "no\n  " + http2 + "on"),
            std::string::npos)
      << listed.output;
  EXPECT_NE(listed.output.find(socket_file + socket.string() + ", mode 0600, group www-data"),
            std::string::npos)
      << listed.output;
  EXPECT_EQ(listed.output.find(listener + "http://127.0.0.1:8080"), std::string::npos)
      << listed.output;
  EXPECT_FALSE(std::filesystem::exists(socket));  // check binds nothing
}

struct BadCase {
  std::string name;
  std::string attributes;      // added to <aspNetCore>
  std::string expected_words;  // must appear in the message
};

class CheckRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(CheckRejects, WithFileAttributeAndAllowedValues) {
  TempDir app("ancm-cli");
  WebConfig config;
  config.extra_attributes = GetParam().attributes;
  write_file(app / "web.config", config.text());
  auto result = run_command("check", app / "web.config");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((app / "web.config").string() + ":"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find(GetParam().expected_words), std::string::npos) << result.output;
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, CheckRejects,
    ::testing::Values(
        BadCase{"request_timeout_60", R"(requestTimeout="00:60:00")", "requestTimeout"},
        BadCase{"startup_out_of_range", R"(startupTimeLimit="4000")", "3600"},
        BadCase{"rapid_fails_text", R"(rapidFailsPerMinute="many")", "rapidFailsPerMinute"},
        BadCase{"bad_boolean", R"(disableStartUpErrorPage="yes")", "disableStartUpErrorPage"},
        BadCase{"processes_zero", R"(processesPerApplication="0")", "processesPerApplication"}),
    [](const auto& info) { return info.param.name; });

TEST(CheckCommand, RejectsAnUnknownHostingModel) {
  TempDir app("ancm-cli");
  WebConfig config;
  config.hosting_model = "sideways";
  write_file(app / "web.config", config.text());
  auto result = run_command("check", app.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("hostingModel"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("outofprocess"), std::string::npos) << result.output;
}

TEST(CheckCommand, RejectsANonNumericStackSize) {
  TempDir app("ancm-cli");
  WebConfig config;
  config.handler_settings = {{"stackSize", "8MB"}};
  write_file(app / "web.config", config.text());
  auto result = run_command("check", app.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("stackSize"), std::string::npos) << result.output;
}

TEST(CheckCommand, RejectsAMissingProcessPath) {
  TempDir app("ancm-cli");
  write_file(app / "web.config",
             "<configuration><system.webServer><aspNetCore arguments=\"x\" />"
             "</system.webServer></configuration>");
  auto result = run_command("check", app.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("processPath"), std::string::npos) << result.output;
}

TEST(CheckCommand, RejectsMalformedXmlWithItsLine) {
  TempDir app("ancm-cli");
  write_file(app / "web.config",
             "<configuration>\n<system.webServer>\n<aspNetCore processPath=\"dotnet\"\n");
  auto result = run_command("check", app.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find((app / "web.config").string() + ":"), std::string::npos)
      << result.output;
}

TEST(CheckCommand, RejectsAMissingFile) {
  TempDir app("ancm-cli");
  auto result = run_command("check", app.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find((app / "web.config").string()), std::string::npos) << result.output;
}

TEST(CommandLine, RejectsUnknownOptions) {
  TempDir app("ancm-cli");
  write_file(app / "web.config", WebConfig{}.text());
  auto result = run_command("run", app.path(), {"--no-such-flag"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("--no-such-flag"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace ancm::test
