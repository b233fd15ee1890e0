// `ancm-host check` and the command line, run as a real process.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/json/src.hpp>
#include <filesystem>
#include <sstream>

#include "ancm/server/listen_address.h"
#include "host_process.h"
#include "published_app.h"
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

// A published app, as check resolves its process and frameworks too; port 0
// so that what else runs on this machine does not matter.
void install_hello(const TempDir& app, std::string model = "outofprocess",
                   std::string extra_attributes = "",
                   std::vector<std::pair<std::string, std::string>> environment = {}) {
  AspNetCoreEdit edit;
  edit.hosting_model = std::move(model);
  edit.extra_attributes = std::move(extra_attributes);
  edit.environment = std::move(environment);
  install_app("Hello", app.path(), edit);
}

const std::vector<std::string> kAnyPort = {"--listen", "http://127.0.0.1:0"};

TEST(CheckCommand, PrintsTheResolvedConfiguration) {
  TempDir app("ancm-cli");
  install_hello(app, "outofprocess", R"(startupTimeLimit="30")",
                {{"ASPNETCORE_ENVIRONMENT", "Staging"}});
  auto result = run_command("check", app.path(), kAnyPort);
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
  install_hello(app);
  std::string listener(server::kCheckListenerLabel), tls(server::kCheckTlsLabel),
      http2(server::kCheckHttp2Label), socket_file(server::kCheckSocketFileLabel);

  // Listed whether or not the default port is free here (CheckDeep covers that).
  auto defaults = run_command("check", app.path());
  EXPECT_NE(defaults.output.find(listener + std::string(server::kDefaultListenUrl) + "\n  " + tls +
                                 "no\n  " + http2 + "on (h2c"),
            std::string::npos)
      << defaults.output;

  auto socket = app / "app.sock";
  auto listed =
      run_command("check", app.path(),
                  {"--listen", "http://127.0.0.1:0", "--listen", "unix:" + socket.string(),
                   "--unix-socket-mode", "0600", "--unix-socket-group", "www-data"});
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(
      listed.output.find(listener + "http://127.0.0.1:0\n  " + tls + "no\n  " + http2 + "on (h2c"),
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

// The master program is `ancm-host run`'s to start: run by hand it says so,
// and does not start itself as a worker.
TEST(CommandLine, TheMasterProgramIsNotRunByHand) {
  TempDir app("ancm-cli");
  write_file(app / "web.config", WebConfig{}.text());
  HostOptions options;
  options.executable = ancm_host_binary().parent_path().parent_path() / "lib" / "ancm-host-master";
  options.command = "run";
  options.target = app.path();
  HostProcess process(options);
  auto status = process.wait_exit(10s);
  ASSERT_TRUE(status) << process.output();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << process.output();
  EXPECT_NE(process.output().find("is started by `ancm-host run`"), std::string::npos)
      << process.output();
}

TEST(CommandLine, SizesTakeUnits) {
  TempDir app("ancm-cli");
  install_hello(app);
  for (const char* size : {"10MB", "1GiB", "512k", "30000000"}) {
    auto args = kAnyPort;
    args.insert(args.end(), {"--max-body-bytes", size});
    auto result = run_command("check", app.path(), args);
    EXPECT_EQ(result.exit_code, 0) << size << "\n" << result.output;
  }
  for (const char* size : {"10XB", "MB", "-5", "10 MB", "99999999TB"}) {
    auto result = run_command("check", app.path(), {"--max-body-bytes", size});
    EXPECT_EQ(result.exit_code, 2) << size << "\n" << result.output;
    EXPECT_NE(result.output.find("--max-body-bytes needs a size"), std::string::npos)
        << result.output;
  }
}

// ------------------------------------------------------------------ check, deep

std::string replaced_in(const std::filesystem::path& file, const std::string& from,
                        const std::string& to) {
  std::string text = read_file(file);
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from << " not in " << file;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  write_file(file, text);
  return text;
}

TEST(CheckDeep, ResolvesAPublishedAppInBothModels) {
  for (std::string model : {"inprocess", "outofprocess"}) {
    TempDir app("ancm-cli");
    install_hello(app, model);
    auto result = run_command("check", app.path(), kAnyPort);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("application: " + (app / "Hello.dll").string()), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("framework Microsoft.AspNetCore.App: "), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find(model == "inprocess" ? "hostfxr: " : "processPath: /"),
              std::string::npos)
        << result.output;
  }
}

// Windows PowerShell 5 writes UTF-16 with a byte order mark; the XML reader
// decodes it, so it is not "not XML".
TEST(CheckDeep, AUtf16WebConfigIsRead) {
  TempDir app("ancm-cli");
  install_hello(app);
  std::string utf8 = read_file(app / "web.config");
  if (utf8.starts_with("\xEF\xBB\xBF")) utf8.erase(0, 3);
  std::string utf16 = "\xFF\xFE";
  for (char c : utf8) {
    utf16 += c;
    utf16 += '\0';
  }
  write_file(app / "web.config", utf16);
  auto result = run_command("check", app / "web.config", kAnyPort);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("application: " + (app / "Hello.dll").string()), std::string::npos)
      << result.output;
}

TEST(CheckDeep, FindsAProcessPathThatIsNotThere) {
  TempDir app("ancm-cli");
  install_hello(app);
  replaced_in(app / "web.config", "processPath=\"dotnet\"", "processPath=\"dotnett\"");
  auto result = run_command("check", app.path(), kAnyPort);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((app / "web.config").string() + ":"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("dotnett"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("502.5"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("fix: "), std::string::npos) << result.output;
}

TEST(CheckDeep, FindsAMissingDllInBothModels) {
  for (std::string model : {"inprocess", "outofprocess"}) {
    TempDir app("ancm-cli");
    install_hello(app, model);
    replaced_in(app / "web.config", "Hello.dll", "Gone.dll");
    auto result = run_command("check", app.path(), kAnyPort);
    EXPECT_EQ(result.exit_code, 1) << model << "\n" << result.output;
    EXPECT_NE(result.output.find("error: " + (app / "web.config").string()), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find((app / "Gone.dll").string()), std::string::npos) << result.output;
  }
}

TEST(CheckDeep, FindsAFrameworkThatIsNotInstalled) {
  for (std::string model : {"inprocess", "outofprocess"}) {
    TempDir app("ancm-cli");
    install_hello(app, model);
    auto runtime_config = app / "Hello.runtimeconfig.json";
    std::string text = read_file(runtime_config);
    for (auto at = text.find("\"version\": \""); at != std::string::npos;
         at = text.find("\"version\": \"", at + 1)) {
      auto start = at + std::string("\"version\": \"").size();
      text.replace(start, text.find('"', start) - start, "99.0.0");
    }
    write_file(runtime_config, text);
    auto result = run_command("check", app.path(), kAnyPort);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("Microsoft.AspNetCore.App: 99.0.0"), std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("installed: "), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(runtime_config.string()), std::string::npos) << result.output;
  }
}

// The stdout log folder is the app's to create, as the user it runs as:
// check (often run as root) only says whether that can work.
void enable_stdout_log(const std::filesystem::path& app, const std::string& file) {
  replaced_in(app / "web.config", "stdoutLogEnabled=\"false\"", "stdoutLogEnabled=\"true\"");
  replaced_in(app / "web.config", "stdoutLogFile=\".\\logs\\stdout\"",
              "stdoutLogFile=\"" + file + "\"");
}

// The line of web.config holding `text`, 1-based (0 when not there).
int line_holding(const std::filesystem::path& file, const std::string& text) {
  std::istringstream in(read_file(file));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(text) != std::string::npos) return number;
  }
  return 0;
}

TEST(CheckDeep, LeavesTheStdoutLogFolderUncreated) {
  TempDir app("ancm-cli");
  install_hello(app);
  enable_stdout_log(app.path(), ".\\new\\logs\\stdout");
  auto result = run_command("check", app.path(), kAnyPort);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("stdoutLogFile: " + (app / "new" / "logs").string() +
                               " can be created at the app's start"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(std::filesystem::exists(app / "new")) << "check created the folder";
}

// An ancestor that is a file: no user could make the folder, root included.
TEST(CheckDeep, FindsAStdoutLogFolderItCannotMake) {
  TempDir app("ancm-cli");
  install_hello(app);
  write_file(app / "not-a-folder", "x");
  enable_stdout_log(app.path(), ".\\not-a-folder\\logs\\stdout");
  auto result = run_command("check", app.path(), kAnyPort);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  auto folder = (app / "not-a-folder" / "logs").string();
  EXPECT_NE(result.output.find("stdoutLogFile: " + folder + " cannot be made or written: " +
                               (app / "not-a-folder").string() + " is not a folder"),
            std::string::npos)
      << result.output;
  // Named with file and line, and what to do.
  int line = line_holding(app / "web.config", "stdoutLogFile=");
  ASSERT_GT(line, 0);
  EXPECT_NE(result.output.find((app / "web.config").string() + ":" + std::to_string(line) + ":"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("fix: create " + folder), std::string::npos) << result.output;
  EXPECT_TRUE(std::filesystem::is_regular_file(app / "not-a-folder"));
}

// A dangling link where the folder goes: creating the folder fails (EEXIST).
TEST(CheckDeep, FindsADanglingLinkWhereTheStdoutLogFolderGoes) {
  TempDir app("ancm-cli");
  install_hello(app);
  std::filesystem::create_directory_symlink(app / "gone", app / "logs");
  enable_stdout_log(app.path(), ".\\logs\\stdout");
  auto result = run_command("check", app.path(), kAnyPort);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  auto folder = (app / "logs").string();
  EXPECT_NE(result.output.find("stdoutLogFile: " + folder +
                               " cannot be made or written: " + folder + " is not a folder"),
            std::string::npos)
      << result.output;
}

TEST(CheckDeep, FindsAStdoutLogFolderUnderAFolderItCannotWrite) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root may write into any folder; the case above covers root";
  TempDir app("ancm-cli");
  install_hello(app);
  std::filesystem::create_directory(app / "locked");
  std::filesystem::permissions(
      app / "locked", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  enable_stdout_log(app.path(), ".\\locked\\logs\\stdout");
  auto result = run_command("check", app.path(), kAnyPort);
  std::filesystem::permissions(app / "locked", std::filesystem::perms::owner_all);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find((app / "locked").string() + " is not writable (Permission denied)"),
            std::string::npos)
      << result.output;
  EXPECT_FALSE(std::filesystem::exists(app / "locked" / "logs"));
}

TEST(CheckDeep, FindsAPortInUse) {
  TempDir app("ancm-cli");
  install_hello(app);
  auto any_port = server::parse_listen_url("http://127.0.0.1:0");
  ASSERT_TRUE(any_port.ok());
  auto taken = server::bind_listeners(any_port.value());
  auto port = server::local_address(taken.front().get()).port;
  std::string url = "http://127.0.0.1:" + std::to_string(port);
  auto result = run_command("check", app.path(), {"--listen", url});
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("port of " + url), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("Address already in use"), std::string::npos) << result.output;
}

TEST(CheckDeep, JsonIsOneObjectForTools) {
  TempDir app("ancm-cli");
  install_hello(app);
  replaced_in(app / "web.config", "processPath=\"dotnet\"", "processPath=\"dotnett\"");
  auto args = kAnyPort;
  args.push_back("--json");
  auto result = run_command("check", app.path(), args);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  boost::system::error_code ec;
  auto report = boost::json::parse(result.output, ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << result.output;
  const auto& object = report.as_object();
  EXPECT_EQ(object.at("ok"), false);
  EXPECT_EQ(object.at("hostingModel"), "outofprocess");
  EXPECT_EQ(object.at("settings").at("processPath").at("value"), "dotnett");
  bool named = false;
  for (const auto& finding : object.at("findings").as_array()) {
    if (finding.at("subject") != "processPath") continue;
    named = true;
    EXPECT_EQ(finding.at("problem"), true);
    EXPECT_EQ(finding.at("file"), boost::json::value((app / "web.config").string()));
    EXPECT_GT(finding.at("line").as_int64(), 0);
    EXPECT_TRUE(finding.as_object().contains("fix"));
  }
  EXPECT_TRUE(named) << result.output;
}

}  // namespace
}  // namespace ancm::test
