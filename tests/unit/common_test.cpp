// Error pages, detailed-error switches, stdout log files and debug logging.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "ancm/common/base64.h"
#include "ancm/common/command_line_split.h"
#include "ancm/common/error_page.h"
#include "ancm/common/exit_text.h"
#include "ancm/common/logging.h"
#include "ancm/common/module_environment.h"
#include "ancm/common/stdout_log.h"
#include "ancm/common/unique_fd.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace ancm::common;
using namespace std::chrono_literals;

namespace {

// Sets or unsets environment variables for one test and puts back what was there.
class EnvGuard {
 public:
  EnvGuard(std::initializer_list<const char*> names) {
    for (const char* name : names) {
      const char* value = ::getenv(name);
      saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
      ::unsetenv(name);
    }
  }
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void set(const char* name, const char* value) const { ::setenv(name, value, 1); }

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

using ancm::test::read_file;
using ancm::test::TempDir;

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

using Vars = std::vector<std::pair<std::string, std::string>>;

}  // namespace

// ---------------------------------------------------------------- titles and pages

struct TitleCase {
  int status;
  int substatus;
  const char* title;
};

void PrintTo(const TitleCase& c, std::ostream* out) {
  *out << c.status << "." << c.substatus << " " << c.title;
}

class ErrorTitle : public testing::TestWithParam<TitleCase> {};

TEST_P(ErrorTitle, TitleAndHeadingUseTheTable) {
  const TitleCase& c = GetParam();
  ErrorCode code{c.status, c.substatus};
  EXPECT_EQ(error_title(code), c.title);
  std::string heading = "HTTP Error " + std::to_string(c.status) + "." +
                        std::to_string(c.substatus) + " - " + c.title;
  std::string page = render_error_page(ErrorPageInput{code, "", "", false});
  EXPECT_NE(page.find("<title>" + heading + "</title>"), std::string::npos) << page;
  EXPECT_NE(page.find("<h1>" + heading + "</h1>"), std::string::npos);
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  // Every known code offers more than one thing to try.
  EXPECT_GE(count(page, "<li>"), 2u);
}

INSTANTIATE_TEST_SUITE_P(
    Known, ErrorTitle,
    testing::Values(TitleCase{500, 0, "ANCM In-Process Handler Load Failure"},
                    TitleCase{500, 19, "Internal Server Error"},
                    TitleCase{500, 30, "ASP.NET Core app failed to start"},
                    TitleCase{500, 31, "ANCM Failed to Find Native Dependencies"},
                    TitleCase{500, 32, "ANCM Failed to Load dll"},
                    TitleCase{500, 33, "ANCM Request Handler Load Failure"},
                    TitleCase{500, 34, "ANCM Mixed Hosting Models Not Supported"},
                    TitleCase{500, 35, "ANCM Multiple In-Process Applications in same Process"},
                    TitleCase{500, 36, "ANCM Out-Of-Process Handler Load Failure"},
                    TitleCase{500, 37, "ANCM Failed to Start Within Startup Time Limit"},
                    TitleCase{500, 38, "ANCM Application DLL Not Found"},
                    TitleCase{502, 3, "Bad Gateway"},
                    TitleCase{502, 5, "ANCM Out-Of-Process Startup Failure"},
                    TitleCase{503, 0, "Service Unavailable"}),
    [](const testing::TestParamInfo<TitleCase>& info) {
      return "Http" + std::to_string(info.param.status) + "_" +
             std::to_string(info.param.substatus);
    });

// RFC 4648's test vectors (section 10).
TEST(Base64, EncodesTheRfcVectors) {
  auto encoded = [](std::string_view text) {
    return base64_encoded({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  };
  EXPECT_EQ(encoded(""), "");
  EXPECT_EQ(encoded("f"), "Zg==");
  EXPECT_EQ(encoded("fo"), "Zm8=");
  EXPECT_EQ(encoded("foo"), "Zm9v");
  EXPECT_EQ(encoded("foob"), "Zm9vYg==");
  EXPECT_EQ(encoded("fooba"), "Zm9vYmE=");
  EXPECT_EQ(encoded("foobar"), "Zm9vYmFy");
  const std::uint8_t high[] = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64_encoded(high), "+/+/");
}

TEST(ErrorPage, UnknownCodesGetTheReasonPhrase) {
  EXPECT_EQ(error_title({500, 99}), "Internal Server Error");
  EXPECT_EQ(error_title({502, 1}), "Bad Gateway");
  EXPECT_EQ(error_title({418, 0}), "Server Error");
  std::string page = render_error_page(ErrorPageInput{{500, 99}, "", "", false});
  EXPECT_NE(page.find("<h1>HTTP Error 500.99 - Internal Server Error</h1>"), std::string::npos);
}

TEST(ErrorPage, ConfigurationErrorHasItsOwnHeading) {
  std::string page = render_error_page(ErrorPageInput{{500, 19}, "", "", false});
  EXPECT_NE(page.find("<h2>Configuration Error</h2>"), std::string::npos);
  EXPECT_NE(page.find("ancm-host check"), std::string::npos);
  EXPECT_EQ(render_error_page(ErrorPageInput{{500, 30}, "", "", false}).find("Configuration Error"),
            std::string::npos);
}

TEST(ErrorPage, SolutionsDifferPerCode) {
  EXPECT_NE(render_error_page(ErrorPageInput{{503, 0}, "", "", false}).find("app_offline.htm"),
            std::string::npos);
  EXPECT_NE(render_error_page(ErrorPageInput{{500, 37}, "", "", false}).find("startupTimeLimit"),
            std::string::npos);
  EXPECT_NE(render_error_page(ErrorPageInput{{502, 3}, "", "", false}).find("requestTimeout"),
            std::string::npos);
  EXPECT_NE(render_error_page(ErrorPageInput{{500, 31}, "", "", false}).find("DOTNET_ROOT"),
            std::string::npos);
}

TEST(ErrorPage, TitleOverride) {
  ErrorPageInput input{{500, 0}, "", "", false};
  std::string page = render_error_page(input, "ANCM Out-Of-Process Handler Load Failure");
  EXPECT_NE(page.find("<h1>HTTP Error 500.0 - ANCM Out-Of-Process Handler Load Failure</h1>"),
            std::string::npos);
  EXPECT_EQ(page.find("In-Process Handler"), std::string::npos);
}

TEST(ErrorPage, HtmlEscape) {
  EXPECT_EQ(html_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain"), "plain");
  EXPECT_EQ(html_escape(""), "");
}

TEST(ErrorPage, DetailedShowsEscapedErrorAndOutput) {
  ErrorPageInput input{{500, 30},
                       "Unhandled exception: <Boom> & bust",
                       "System.Exception: <script>alert(1)</script>",
                       true};
  std::string page = render_error_page(input);
  EXPECT_NE(page.find("Unhandled exception: &lt;Boom&gt; &amp; bust"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("<pre>"), std::string::npos);
  EXPECT_EQ(page.find("Details of this error are hidden"), std::string::npos);
}

TEST(ErrorPage, NotDetailedHidesErrorAndOutputButSaysHowToShowThem) {
  ErrorPageInput input{{500, 30}, "secret connection string", "password=hunter2", false};
  std::string page = render_error_page(input);
  EXPECT_EQ(page.find("secret connection string"), std::string::npos);
  EXPECT_EQ(page.find("hunter2"), std::string::npos);
  EXPECT_EQ(page.find("<pre>"), std::string::npos);
  EXPECT_NE(page.find("ASPNETCORE_DETAILEDERRORS=1"), std::string::npos);
  EXPECT_NE(page.find("ASPNETCORE_ENVIRONMENT=Development"), std::string::npos);
}

TEST(ErrorPage, AppOutputIsCappedAtThirtyThousandCharacters) {
  std::string output(kMaxAppOutputChars, 'a');
  output += "TAIL-THAT-MUST-NOT-SHOW";
  std::string page = render_error_page(ErrorPageInput{{500, 30}, "x", output, true});
  EXPECT_EQ(page.find("TAIL-THAT-MUST-NOT-SHOW"), std::string::npos);
  EXPECT_NE(page.find(std::string(kMaxAppOutputChars, 'a')), std::string::npos);
  EXPECT_EQ(page.find(std::string(kMaxAppOutputChars + 1, 'a')), std::string::npos);
  EXPECT_NE(page.find("cut after the first 30,000 characters"), std::string::npos);

  std::string exact(kMaxAppOutputChars, 'b');
  std::string whole = render_error_page(ErrorPageInput{{500, 30}, "x", exact, true});
  EXPECT_EQ(whole.find("cut after"), std::string::npos);
}

TEST(ErrorPage, CapCountsCharactersNotBytes) {
  const std::string e_acute = "\xC3\xA9";  // two bytes, one character
  std::string text;
  for (int i = 0; i < 5; ++i) text += e_acute;
  EXPECT_EQ(truncate_utf8(text, 3), e_acute + e_acute + e_acute);
  EXPECT_EQ(truncate_utf8(text, 5), text);
  EXPECT_EQ(truncate_utf8(text, 0), "");
  EXPECT_EQ(truncate_utf8("abc", 10), "abc");
  EXPECT_EQ(truncate_utf8("a\xE2\x82\xAC"
                          "b",
                          2),
            "a\xE2\x82\xAC");
}

// ---------------------------------------------------------------- detailed errors

TEST(DetailedErrors, OffByDefault) {
  EnvGuard env{"ASPNETCORE_DETAILEDERRORS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"};
  EXPECT_FALSE(detailed_errors_enabled({}));
  EXPECT_FALSE(detailed_errors_enabled(Vars{{"ASPNETCORE_ENVIRONMENT", "Production"}}));
}

TEST(DetailedErrors, WebConfigValues) {
  EnvGuard env{"ASPNETCORE_DETAILEDERRORS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"};
  EXPECT_TRUE(detailed_errors_enabled(Vars{{"ASPNETCORE_DETAILEDERRORS", "1"}}));
  EXPECT_TRUE(detailed_errors_enabled(Vars{{"ASPNETCORE_DETAILEDERRORS", "TRUE"}}));
  EXPECT_FALSE(detailed_errors_enabled(Vars{{"ASPNETCORE_DETAILEDERRORS", "yes"}}));
  EXPECT_FALSE(detailed_errors_enabled(Vars{{"ASPNETCORE_DETAILEDERRORS", "0"}}));
  EXPECT_TRUE(detailed_errors_enabled(Vars{{"ASPNETCORE_ENVIRONMENT", "development"}}));
  EXPECT_TRUE(detailed_errors_enabled(Vars{{"DOTNET_ENVIRONMENT", "Development"}}));
  EXPECT_FALSE(detailed_errors_enabled(Vars{{"ASPNETCORE_ENVIRONMENT", "Staging"}}));
}

TEST(DetailedErrors, ProcessEnvironmentComesFirst) {
  EnvGuard env{"ASPNETCORE_DETAILEDERRORS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"};
  env.set("ASPNETCORE_DETAILEDERRORS", "true");
  EXPECT_TRUE(detailed_errors_enabled({}));
  EXPECT_TRUE(detailed_errors_enabled(Vars{{"ASPNETCORE_DETAILEDERRORS", "0"}}));

  env.set("ASPNETCORE_DETAILEDERRORS", "0");
  EXPECT_FALSE(detailed_errors_enabled(Vars{{"ASPNETCORE_DETAILEDERRORS", "1"}}));

  ::unsetenv("ASPNETCORE_DETAILEDERRORS");
  env.set("ASPNETCORE_ENVIRONMENT", "Production");
  EXPECT_FALSE(detailed_errors_enabled(Vars{{"ASPNETCORE_ENVIRONMENT", "Development"}}));
  env.set("ASPNETCORE_ENVIRONMENT", "DEVELOPMENT");
  EXPECT_TRUE(detailed_errors_enabled(Vars{{"ASPNETCORE_ENVIRONMENT", "Production"}}));
}

TEST(DetailedErrors, EachVariableFallsBackToWebConfigOnItsOwn) {
  EnvGuard env{"ASPNETCORE_DETAILEDERRORS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"};
  // The process says Production, web.config asks for detailed errors: the
  // app itself would see both, so detailed errors are on (as in ANCM).
  env.set("ASPNETCORE_ENVIRONMENT", "Production");
  EXPECT_TRUE(detailed_errors_enabled(Vars{{"ASPNETCORE_DETAILEDERRORS", "1"}}));
}

TEST(DetailedErrors, LastWebConfigEntryWins) {
  EnvGuard env{"ASPNETCORE_DETAILEDERRORS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"};
  EXPECT_FALSE(detailed_errors_enabled(
      Vars{{"ASPNETCORE_DETAILEDERRORS", "1"}, {"ASPNETCORE_DETAILEDERRORS", "0"}}));
}

// ---------------------------------------------------------------- stdout log

TEST(StdoutLog, PathFormatIsUtcStampAndPid) {
  using namespace std::chrono;
  sys_time<seconds> when = sys_days{year{2018} / 2 / 5} + 19h + 41min + 32s;
  EXPECT_EQ(stdout_log_path("/app/logs/stdout", when, 1934),
            fs::path("/app/logs/stdout_20180205194132_1934.log"));
  EXPECT_EQ(stdout_log_path("/app/logs/stdout", when + 999ms, 7),
            fs::path("/app/logs/stdout_20180205194132_7.log"));
  EXPECT_EQ(stdout_log_path("/app/aspnetcore-stdout", sys_days{year{2024} / 12 / 31}, 1),
            fs::path("/app/aspnetcore-stdout_20241231000000_1.log"));
}

TEST(StdoutLog, PathDoesNotDependOnTheLocalTimeZone) {
  EnvGuard env{"TZ"};
  env.set("TZ", "America/New_York");
  ::tzset();
  using namespace std::chrono;
  sys_time<seconds> when = sys_days{year{2018} / 2 / 5} + 23h + 30min;
  fs::path path = stdout_log_path("/l/stdout", when, 1);
  ::unsetenv("TZ");
  ::tzset();
  EXPECT_EQ(path, fs::path("/l/stdout_20180205233000_1.log"));
}

TEST(StdoutLog, OpenCreatesNestedFoldersAndAppends) {
  TempDir dir;
  fs::path base = dir.path() / "logs" / "deeper" / "stdout";
  OpenedLog log = open_stdout_log(base, 4242);
  ASSERT_TRUE(log.fd) << log.error;
  EXPECT_TRUE(log.error.empty());
  EXPECT_EQ(log.path.parent_path(), base.parent_path());
  EXPECT_TRUE(
      std::regex_match(log.path.filename().string(), std::regex(R"(stdout_\d{14}_4242\.log)")))
      << log.path;
  EXPECT_TRUE(fs::is_regular_file(log.path));

  int flags = ::fcntl(log.fd.get(), F_GETFL);
  EXPECT_TRUE(flags & O_APPEND);
  EXPECT_EQ(flags & O_ACCMODE, O_WRONLY);
  EXPECT_TRUE(::fcntl(log.fd.get(), F_GETFD) & FD_CLOEXEC);

  ASSERT_EQ(::write(log.fd.get(), "first\n", 6), 6);
  OpenedLog again = open_stdout_log(base, 4242);
  ASSERT_TRUE(again.fd);
  if (again.path == log.path) {  // same second: appended, not truncated
    ASSERT_EQ(::write(again.fd.get(), "second\n", 7), 7);
    EXPECT_EQ(read_file(log.path), "first\nsecond\n");
  }

  struct stat st {};
  ASSERT_EQ(::stat(log.path.c_str(), &st), 0);
  mode_t mask = ::umask(0);
  ::umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0644 & ~mask);
}

TEST(StdoutLog, FailureUnderARegularFileNamesThePath) {
  TempDir dir;
  std::ofstream(dir.path() / "plain-file") << "x";
  fs::path base = dir.path() / "plain-file" / "logs" / "stdout";
  OpenedLog log = open_stdout_log(base, 1);
  EXPECT_FALSE(log.fd);
  EXPECT_LT(log.fd.get(), 0);
  EXPECT_NE(log.error.find((dir.path() / "plain-file" / "logs").string()), std::string::npos)
      << log.error;
  EXPECT_NE(log.error.find("ot a directory"), std::string::npos) << log.error;
}

TEST(StdoutLog, FailureToOpenTheFileItselfNamesThePathAndReason) {
  TempDir dir;
  // A folder where the log file should be: the open fails, not the mkdir.
  using namespace std::chrono;
  fs::path base = dir.path() / "stdout";
  OpenedLog probe = open_stdout_log(base, 99);
  ASSERT_TRUE(probe.fd);
  probe.fd.reset();
  fs::remove(probe.path);
  fs::create_directory(probe.path);
  OpenedLog log = open_stdout_log(base, 99);
  if (log.path != probe.path) GTEST_SKIP() << "the clock moved to the next second";
  EXPECT_FALSE(log.fd);
  EXPECT_NE(log.error.find(log.path.string()), std::string::npos);
  EXPECT_NE(log.error.find("Is a directory"), std::string::npos) << log.error;
}

// ---------------------------------------------------------------- debug level

TEST(DebugLevel, LevelAndLocation) {
  LogSettings s = parse_debug_level("FILE,TRACE", LogSettings{});
  EXPECT_EQ(s.level, LogLevel::Trace);
  EXPECT_TRUE(s.file);
  EXPECT_FALSE(s.console);
  EXPECT_FALSE(s.eventlog);
}

TEST(DebugLevel, OnlyALevelKeepsTheBaseLocations) {
  LogSettings base;
  base.console = false;
  base.eventlog = true;
  LogSettings s = parse_debug_level("warning", base);
  EXPECT_EQ(s.level, LogLevel::Warning);
  EXPECT_FALSE(s.console);
  EXPECT_TRUE(s.eventlog);
  EXPECT_FALSE(s.file);
}

TEST(DebugLevel, OnlyLocationsKeepTheBaseLevel) {
  LogSettings base;
  base.level = LogLevel::Error;
  LogSettings s = parse_debug_level("console eventlog", base);
  EXPECT_EQ(s.level, LogLevel::Error);
  EXPECT_TRUE(s.console);
  EXPECT_TRUE(s.eventlog);
  EXPECT_FALSE(s.file);
}

TEST(DebugLevel, NumbersAreLevels) {
  EXPECT_EQ(parse_debug_level("1", LogSettings{}).level, LogLevel::Error);
  EXPECT_EQ(parse_debug_level("2", LogSettings{}).level, LogLevel::Warning);
  EXPECT_EQ(parse_debug_level("3", LogSettings{}).level, LogLevel::Info);
  EXPECT_EQ(parse_debug_level("4", LogSettings{}).level, LogLevel::Trace);
}

TEST(DebugLevel, UnknownWordsAreReportedAndOthersStillApply) {
  std::vector<std::string> unknown;
  LogSettings s = parse_debug_level("Verbose, file ,, 5,ERROR", LogSettings{}, &unknown);
  EXPECT_EQ(unknown, (std::vector<std::string>{"Verbose", "5"}));
  EXPECT_EQ(s.level, LogLevel::Error);
  EXPECT_TRUE(s.file);
  EXPECT_FALSE(s.console);
  // No out-parameter is fine too.
  EXPECT_EQ(parse_debug_level("bogus,TRACE", LogSettings{}).level, LogLevel::Trace);
}

TEST(DebugLevel, EmptyKeepsTheBase) {
  LogSettings base;
  base.level = LogLevel::Warning;
  base.file = true;
  LogSettings s = parse_debug_level("", base);
  EXPECT_EQ(s.level, LogLevel::Warning);
  EXPECT_TRUE(s.file);
  EXPECT_TRUE(s.console);
}

TEST(ResolveLogSettings, WebConfigValuesAndDefaults) {
  EnvGuard env{"ASPNETCORE_MODULE_DEBUG", "ASPNETCORE_MODULE_DEBUG_FILE"};
  LogSettings defaults = resolve_log_settings("", {}, "/srv/app");
  EXPECT_EQ(defaults.level, LogLevel::Info);
  EXPECT_TRUE(defaults.console);
  EXPECT_FALSE(defaults.file);
  EXPECT_EQ(defaults.debug_file, fs::path("/srv/app/aspnetcore-debug.log"));

  LogSettings file = resolve_log_settings("FILE,TRACE", "logs/debug.log", "/srv/app");
  EXPECT_TRUE(file.file);
  EXPECT_FALSE(file.console);
  EXPECT_EQ(file.level, LogLevel::Trace);
  EXPECT_EQ(file.debug_file, fs::path("/srv/app/logs/debug.log"));

  EXPECT_EQ(resolve_log_settings("FILE", "/var/log/d.log", "/srv/app").debug_file,
            fs::path("/var/log/d.log"));
}

TEST(ResolveLogSettings, EnvironmentWins) {
  EnvGuard env{"ASPNETCORE_MODULE_DEBUG", "ASPNETCORE_MODULE_DEBUG_FILE"};
  env.set("ASPNETCORE_MODULE_DEBUG", "console,error");
  env.set("ASPNETCORE_MODULE_DEBUG_FILE", "/tmp/from-env.log");
  LogSettings s = resolve_log_settings("FILE,TRACE", "/srv/app/web.log", "/srv/app");
  EXPECT_EQ(s.level, LogLevel::Error);
  EXPECT_TRUE(s.console);
  EXPECT_FALSE(s.file);
  EXPECT_EQ(s.debug_file, fs::path("/tmp/from-env.log"));

  // A level alone from the environment keeps web.config's locations.
  env.set("ASPNETCORE_MODULE_DEBUG", "warning");
  LogSettings level_only = resolve_log_settings("FILE,TRACE", {}, "/srv/app");
  EXPECT_EQ(level_only.level, LogLevel::Warning);
  EXPECT_TRUE(level_only.file);
  EXPECT_FALSE(level_only.console);

  env.set("ASPNETCORE_MODULE_DEBUG_FILE", "rel/env.log");
  EXPECT_EQ(resolve_log_settings("", {}, "/srv/app").debug_file, fs::path("/srv/app/rel/env.log"));
}

TEST(ConfigureLogging, FileSinkGetsRoleLevelAndMessage) {
  TempDir dir;
  LogSettings settings;
  settings.console = false;
  settings.file = true;
  settings.level = LogLevel::Warning;
  settings.debug_file = dir.path() / "nested" / "debug.log";
  configure_logging(settings, "worker");
  spdlog::info("info-should-be-filtered");
  spdlog::warn("warning-should-appear {}", 42);
  spdlog::default_logger()->flush();
  std::string text = read_file(settings.debug_file);
  EXPECT_EQ(text.find("info-should-be-filtered"), std::string::npos);
  EXPECT_NE(text.find("warning-should-appear 42"), std::string::npos);
  EXPECT_NE(text.find("[warning]"), std::string::npos);
  EXPECT_NE(text.find("[worker:" + std::to_string(::getpid())), std::string::npos) << text;
  spdlog::set_default_logger(spdlog::stderr_color_mt("test-restored"));
}

TEST(ConfigureLogging, UnwritableFileFallsBackToStderr) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  LogSettings settings;
  settings.console = false;
  settings.file = true;
  settings.debug_file = dir.path() / "file" / "debug.log";
  testing::internal::CaptureStderr();
  configure_logging(settings, "master");
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("cannot open the debug log"), std::string::npos) << err;
  EXPECT_EQ(spdlog::default_logger()->sinks().size(), 1u);
}

// ------------------------------------------------------ arguments splitting

namespace {

std::vector<std::string> split_ok(std::string_view text) {
  auto result = split_command_line(text);
  if (!result.ok()) {
    ADD_FAILURE() << result.error();
    return {};
  }
  return result.value();
}

}  // namespace

TEST(CommandLineSplit, WordsAndQuotes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_ok("./Hello.dll --urls \"a b\""), (V{"./Hello.dll", "--urls", "a b"}));
  EXPECT_EQ(split_ok("  a\t b  "), (V{"a", "b"}));
  EXPECT_EQ(split_ok(""), V{});
  EXPECT_EQ(split_ok("'single $quoted \\x' x"), (V{"single $quoted \\x", "x"}));
  EXPECT_EQ(split_ok(R"("say \"hi\" \\ \n")"), (V{R"(say "hi" \ \n)"}));
  EXPECT_EQ(split_ok(R"(a\ b c\"d)"), (V{"a b", "c\"d"}));
  EXPECT_EQ(split_ok("x\"y z\"'w'"), (V{"xy zw"}));
  EXPECT_EQ(split_ok("'' \"\""), (V{"", ""}));
  EXPECT_EQ(split_ok("a \\\n b"), (V{"a", "b"}));
}

TEST(CommandLineSplit, Errors) {
  auto unterminated = split_command_line("app.dll \"open");
  ASSERT_FALSE(unterminated.ok());
  EXPECT_NE(unterminated.error().find("unterminated \" quote"), std::string::npos);
  EXPECT_FALSE(split_command_line("a 'b").ok());
  EXPECT_FALSE(split_command_line("a\\").ok());
}

// ------------------------------------------------------------ ANCM's own variables

namespace {

std::map<std::string, std::string> module_map(ModuleHosting hosting, const EnvPairs& web_config,
                                              std::optional<std::string_view> inherited) {
  std::map<std::string, std::string> map;
  for (auto& [name, value] : module_variables(hosting, "/srv/app", web_config, inherited)) {
    EXPECT_TRUE(map.emplace(name, value).second) << "duplicate " << name;
  }
  return map;
}

}  // namespace

TEST(ModuleEnvironment, InProcessSetsThePhysicalPathAndAuthenticationOnly) {
  auto vars = module_map(ModuleHosting::InProcess, {}, "Mine");
  EXPECT_EQ(vars, (std::map<std::string, std::string>{{"ASPNETCORE_IIS_PHYSICAL_PATH", "/srv/app/"},
                                                      {"ASPNETCORE_IIS_HTTPAUTH", "anonymous;"}}));
  // A trailing slash is not doubled.
  auto with_slash = module_variables(ModuleHosting::InProcess, "/srv/app/", {}, std::nullopt);
  EXPECT_EQ(with_slash.front().second, "/srv/app/");
}

TEST(ModuleEnvironment, OutOfProcessAppendsIisIntegrationToTheInheritedStartupAssemblies) {
  EXPECT_EQ(module_map(ModuleHosting::OutOfProcess, {},
                       std::nullopt)["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"],
            "Microsoft.AspNetCore.Server.IISIntegration");
  EXPECT_EQ(
      module_map(ModuleHosting::OutOfProcess, {}, "Mine")["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"],
      "Mine;Microsoft.AspNetCore.Server.IISIntegration");
  EXPECT_EQ(
      module_map(ModuleHosting::OutOfProcess, {}, "A;B;")["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"],
      "A;B;Microsoft.AspNetCore.Server.IISIntegration");
  EXPECT_EQ(
      module_map(
          ModuleHosting::OutOfProcess, {},
          "A; microsoft.aspnetcore.server.iisintegration")["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"],
      "A; microsoft.aspnetcore.server.iisintegration");
  auto vars = module_map(ModuleHosting::OutOfProcess, {}, std::nullopt);
  EXPECT_EQ(vars["ASPNETCORE_IIS_PHYSICAL_PATH"], "/srv/app/");
  EXPECT_EQ(vars["ASPNETCORE_IIS_HTTPAUTH"], "anonymous;");
  EXPECT_EQ(vars["ASPNETCORE_IIS_WEBSOCKETS_SUPPORTED"], "true");
}

TEST(ModuleEnvironment, StartupAssembliesNamedInWebConfigStandAsWritten) {
  auto vars = module_map(ModuleHosting::OutOfProcess,
                         {{"ASPNETCORE_HOSTINGSTARTUPASSEMBLIES", "OnlyThis"}}, "Inherited");
  EXPECT_EQ(vars.count("ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"), 0u);
}

namespace {

// The waitpid status of a real child that ran `body`.
int status_of_child(void (*body)()) {
  pid_t pid = ::fork();
  if (pid == 0) body();
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

}  // namespace

// The master (a worker's end) and the out-of-process handler (a child's end,
// from waitid) say it in the same words.
TEST(ExitText, ProcessEndsAreDescribedTheSameWayFromEitherSource) {
  EXPECT_EQ(ancm::common::describe_wait_status(status_of_child([] { ::_exit(3); })),
            "exited with code 3");
  EXPECT_EQ(ancm::common::describe_wait_status(status_of_child([] {
              ::raise(SIGKILL);
              ::_exit(0);  // not reached
            })),
            "was killed by signal 9 (SIGKILL)");
  EXPECT_EQ(ancm::common::describe_process_end(false, SIGSEGV),
            "was killed by signal 11 (SIGSEGV)");
}
