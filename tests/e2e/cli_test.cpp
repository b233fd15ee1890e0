// `ancm-host check` and the command line, run as a real process.
#include <gtest/gtest.h>
#include <sys/wait.h>

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

// The first hour's mistakes get a sentence that says what to do instead.
TEST(CommandLine, TheAppsDllIsNotItsWebConfig) {
  TempDir app("ancm-cli");
  write_file(app / "web.config", WebConfig{}.text());
  write_file(app / "App.dll", std::string("MZ\x90\0\3\0\0\0", 8));
  for (const char* command : {"run", "check"}) {
    auto result = run_command(command, app / "App.dll");
    EXPECT_EQ(result.exit_code, 1) << command;
    EXPECT_NE(result.output.find("the application's assembly, not its web.config"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("ancm-host run " + app.path().string()), std::string::npos)
        << result.output;
    EXPECT_EQ(result.output.find("malformed XML"), std::string::npos) << result.output;
  }
}

TEST(CommandLine, ASourceFolderIsToBePublishedFirst) {
  TempDir app("ancm-cli");
  write_file(app / "MyApp.csproj", "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>");
  auto result = run_command("run", app.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("source of MyApp.csproj"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("dotnet publish"), std::string::npos) << result.output;
}

TEST(CommandLine, AFileThatIsNotXmlIsNamedSo) {
  TempDir app("ancm-cli");
  write_file(app / "appsettings.json", "{ \"Logging\": {} }");
  auto result = run_command("check", app / "appsettings.json");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("not XML, so not a web.config"), std::string::npos) << result.output;
}

TEST(CommandLine, EveryCommandHasHelp) {
  TempDir app("ancm-cli");
  auto run_help = run_command("run", app.path(), {"--help"});
  EXPECT_EQ(run_help.exit_code, 0) << run_help.output;
  EXPECT_NE(run_help.output.find("usage: ancm-host run"), std::string::npos) << run_help.output;
  EXPECT_NE(run_help.output.find("--max-body-bytes"), std::string::npos) << run_help.output;
  auto check_help = run_command("check", app.path(), {"-h"});
  EXPECT_EQ(check_help.exit_code, 0) << check_help.output;
  EXPECT_NE(check_help.output.find("usage: ancm-host check"), std::string::npos)
      << check_help.output;
  auto help_run = run_command("help", "run");
  EXPECT_EQ(help_run.exit_code, 0) << help_run.output;
  EXPECT_NE(help_run.output.find("usage: ancm-host run"), std::string::npos) << help_run.output;
}

TEST(CommandLine, SizesTakeUnits) {
  TempDir app("ancm-cli");
  write_file(app / "web.config", WebConfig{}.text());
  for (const char* size : {"10MB", "1GiB", "512k", "30000000"}) {
    auto result = run_command("check", app.path(), {"--max-body-bytes", size});
    EXPECT_EQ(result.exit_code, 0) << size << "\n" << result.output;
  }
  for (const char* size : {"10XB", "MB", "-5", "10 MB", "99999999TB"}) {
    auto result = run_command("check", app.path(), {"--max-body-bytes", size});
    EXPECT_EQ(result.exit_code, 2) << size << "\n" << result.output;
    EXPECT_NE(result.output.find("--max-body-bytes needs a size"), std::string::npos)
        << result.output;
  }
}

}  // namespace
}  // namespace ancm::test
