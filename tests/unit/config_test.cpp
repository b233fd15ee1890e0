// web.config -> AppConfig: the files dotnet publish writes, every default,
// every kind of bad value, expansion, path translation and describe().
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>

#include "ancm/config/app_config.h"
#include "ancm/config/describe.h"
#include "ancm/config/load.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
using namespace ancm::config;
using namespace std::chrono_literals;

namespace {

const fs::path kWebConfig = "/srv/app/web.config";

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A web.config around one aspNetCore element, the way dotnet publish nests it.
std::string in_location(const std::string& element) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<configuration>\n"
         "  <location path=\".\" inheritInChildApplications=\"false\">\n"
         "    <system.webServer>\n" +
         element +
         "\n"
         "    </system.webServer>\n"
         "  </location>\n"
         "</configuration>\n";
}

LoadResult parse(const std::string& element, const EnvLookup& env = env_of({})) {
  return parse_config(in_location(element), kWebConfig, env);
}

AppConfig parse_ok(const std::string& element, const EnvLookup& env = env_of({})) {
  LoadResult result = parse(element, env);
  std::string errors;
  for (const ConfigError& e : result.errors) errors += e.to_string() + "\n";
  EXPECT_TRUE(result.ok()) << errors;
  return result.config.value_or(AppConfig{});
}

// The single error of a parse that must fail.
ConfigError parse_error(const std::string& element, const EnvLookup& env = env_of({})) {
  LoadResult result = parse(element, env);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.config.has_value());
  EXPECT_EQ(result.errors.size(), 1u);
  return result.errors.empty() ? ConfigError{} : result.errors.front();
}

// The single error of a whole web.config text that must fail.
ConfigError document_error(const std::string& xml) {
  LoadResult result = parse_config(xml, kWebConfig, env_of({}));
  EXPECT_EQ(result.errors.size(), 1u);
  return result.errors.empty() ? ConfigError{} : result.errors.front();
}

const ResolvedSetting* resolved(const AppConfig& config, const std::string& name) {
  auto it = std::find_if(config.resolved.begin(), config.resolved.end(),
                         [&](const ResolvedSetting& s) { return s.name == name; });
  return it == config.resolved.end() ? nullptr : &*it;
}

using ancm::test::TempDir;
using ancm::test::write_file;

}  // namespace

// ---------------------------------------------------------------- published files

TEST(ConfigPublished, FrameworkDependentInProcess) {
  AppConfig config = parse_ok(
      R"(      <handlers>
        <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />
      </handlers>
      <aspNetCore processPath="dotnet"
                  arguments=".\MyApp.dll"
                  stdoutLogEnabled="false"
                  stdoutLogFile=".\logs\stdout"
                  hostingModel="inprocess" />)");
  EXPECT_EQ(config.config_path, fs::path("/srv/app/web.config"));
  EXPECT_EQ(config.app_path, fs::path("/srv/app"));
  EXPECT_EQ(config.process_path, "dotnet");
  EXPECT_EQ(config.arguments, "./MyApp.dll");
  EXPECT_EQ(config.hosting_model, HostingModel::InProcess);
  EXPECT_FALSE(config.stdout_log_enabled);
  EXPECT_EQ(config.stdout_log_file, fs::path("/srv/app/logs/stdout"));
}

TEST(ConfigPublished, FrameworkDependentOutOfProcess) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet" arguments=".\MyApp.dll" stdoutLogEnabled="true"
                  stdoutLogFile=".\logs\stdout" hostingModel="OutOfProcess" />)");
  EXPECT_EQ(config.hosting_model, HostingModel::OutOfProcess);
  EXPECT_TRUE(config.stdout_log_enabled);
  EXPECT_EQ(config.arguments, "./MyApp.dll");
}

TEST(ConfigPublished, SelfContainedExeBecomesTheLinuxExecutable) {
  TempDir dir;
  write_file(dir.path() / "MyApp", "#!/bin/sh\n");
  write_file(dir.path() / "web.config", in_location(R"(<aspNetCore processPath=".\MyApp.exe"
      stdoutLogEnabled="false" stdoutLogFile=".\logs\stdout" hostingModel="inprocess" />)"));
  LoadResult result = load_config(dir.path(), env_of({}));
  ASSERT_TRUE(result.ok()) << result.errors.front().to_string();
  EXPECT_EQ(result.config->process_path, (dir.path() / "MyApp").string());
  EXPECT_EQ(result.config->app_path, dir.path());
}

TEST(ConfigPublished, ExeIsKeptWhenItExistsOrNeitherExists) {
  TempDir dir;
  const std::string element = R"(<aspNetCore processPath=".\MyApp.exe" />)";
  LoadResult neither = parse_config(in_location(element), dir.path() / "web.config", env_of({}));
  ASSERT_TRUE(neither.ok());
  EXPECT_EQ(neither.config->process_path, (dir.path() / "MyApp.exe").string());

  write_file(dir.path() / "MyApp.exe", "MZ");
  write_file(dir.path() / "MyApp", "ELF");
  LoadResult both = parse_config(in_location(element), dir.path() / "web.config", env_of({}));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both.config->process_path, (dir.path() / "MyApp.exe").string());
}

TEST(ConfigPublished, BareNameFoundInAppFolderBecomesAbsolute) {
  TempDir dir;
  write_file(dir.path() / "MyApp", "ELF");
  LoadResult result = parse_config(in_location(R"(<aspNetCore processPath="MyApp.exe" />)"),
                                   dir.path() / "web.config", env_of({}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->process_path, (dir.path() / "MyApp").string());
}

// ---------------------------------------------------------------- where the section is

TEST(ConfigSection, DirectlyUnderSystemWebServer) {
  LoadResult result = parse_config(
      "<configuration><system.webServer><aspNetCore processPath=\"dotnet\" />"
      "</system.webServer></configuration>",
      kWebConfig, env_of({}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->process_path, "dotnet");
}

TEST(ConfigSection, LocationWithoutPathOrEmptyPathCounts) {
  for (const char* location : {"<location>", "<location path=\"\">"}) {
    LoadResult result = parse_config(
        std::string("<configuration>") + location +
            "<system.webServer><aspNetCore processPath=\"dotnet\" /></system.webServer>"
            "</location></configuration>",
        kWebConfig, env_of({}));
    EXPECT_TRUE(result.ok()) << location;
  }
}

TEST(ConfigSection, LocationForAnotherPathIsNotThisApp) {
  ConfigError error = document_error(
      "<configuration>\n<location path=\"api\"><system.webServer>"
      "<aspNetCore processPath=\"dotnet\" /></system.webServer></location>\n</configuration>");
  EXPECT_NE(error.message.find("no <aspNetCore> element"), std::string::npos);
  EXPECT_EQ(error.line, 1);
}

TEST(ConfigSection, MissingElementIsAnError) {
  ConfigError error = document_error(
      "<configuration><system.webServer><handlers/></system.webServer></configuration>");
  EXPECT_EQ(error.file, kWebConfig);
  EXPECT_NE(error.message.find("aspNetCore"), std::string::npos);
}

TEST(ConfigSection, WrongRootElementIsAnError) {
  ConfigError error = document_error("<settings/>");
  EXPECT_NE(error.message.find("<configuration>"), std::string::npos);
}

TEST(ConfigSection, TwoSectionsAreAnErrorNamingBothLines) {
  ConfigError error = document_error(
      "<configuration>\n"
      "<system.webServer><aspNetCore processPath=\"a\" /></system.webServer>\n"
      "<location path=\".\"><system.webServer>\n"
      "<aspNetCore processPath=\"b\" /></system.webServer></location>\n"
      "</configuration>");
  EXPECT_EQ(error.line, 4);
  EXPECT_NE(error.message.find("line 2"), std::string::npos);
}

TEST(ConfigSection, MalformedXmlReportsTheLine) {
  ConfigError error = document_error(
      "<?xml version=\"1.0\"?>\n<configuration>\n  <system.webServer>\n"
      "    <aspNetCore processPath=\"dotnet\" arguments=\"a.dll />\n"
      "  </system.webServer>\n</configuration>\n");
  EXPECT_NE(error.message.find("malformed XML"), std::string::npos);
  EXPECT_EQ(error.line, 4);
  EXPECT_EQ(error.to_string().rfind("/srv/app/web.config:" + std::to_string(error.line) + ": ", 0),
            0u);
}

TEST(ConfigSection, ByteOrderMarkDoesNotShiftLines) {
  ConfigError error = document_error(
      "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n"
      "<system.webServer>\n<aspNetCore processPath=\"dotnet\"\n startupTimeLimit=\"x\" />\n"
      "</system.webServer>\n</configuration>\n");
  EXPECT_EQ(error.line, 5);
}

// Each aspNetCore attribute's line is kept in the config, for `check`.
TEST(ConfigSection, KeepsTheLineOfEveryWrittenAttribute) {
  AppConfig config = parse_ok(
      "    <aspNetCore processPath=\"dotnet\"\n"
      "                arguments=\".\\App.dll\"\n"
      "                stdoutLogEnabled=\"false\" stdoutLogFile=\".\\logs\\stdout\" />");
  EXPECT_EQ(config.line_of("processPath"), 5);  // in_location puts the element on line 5
  EXPECT_EQ(config.line_of("arguments"), 6);
  EXPECT_EQ(config.line_of("stdoutLogEnabled"), 7);
  EXPECT_EQ(config.line_of("stdoutLogFile"), 7);
  EXPECT_EQ(config.line_of("hostingModel"), 0);  // not written: the default
  EXPECT_EQ(config.line_of("processpath"), 0);   // names are exact, as in the DOM
}

// UTF-8 text of ASCII and \u00E9 as UTF-16, with or without a byte order mark.
std::string utf16_of(const std::string& utf8, bool big_endian, bool mark) {
  std::string out;
  auto unit = [&](char16_t u) {
    char low = static_cast<char>(u & 0xFF), high = static_cast<char>(u >> 8);
    out += big_endian ? high : low;
    out += big_endian ? low : high;
  };
  if (mark) unit(0xFEFF);
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    if (utf8.compare(i, 2, "\xC3\xA9") == 0) {
      unit(0xE9);
      ++i;
    } else {
      unit(static_cast<unsigned char>(utf8[i]));
    }
  }
  return out;
}

// What Windows PowerShell 5 writes: UTF-16 (with a byte order mark, or
// without one). Lines and values are those of the text, not of its bytes.
TEST(ConfigSection, Utf16KeepsLinesAndDecodesValues) {
  const std::string element =
      "    <aspNetCore processPath=\"caf\xC3\xA9\"\n"
      "                arguments=\"app.dll\"\n"
      "                startupTimeLimit=\"LIMIT\" />";
  auto with_limit = [&](const std::string& limit) {
    std::string text = in_location(element);
    text.replace(text.find("LIMIT"), 5, limit);
    return text;
  };
  for (bool big_endian : {false, true}) {
    for (bool mark : {true, false}) {
      SCOPED_TRACE(std::string(big_endian ? "big" : "little") + " endian" +
                   (mark ? ", marked" : ", unmarked"));
      LoadResult bad =
          parse_config(utf16_of(with_limit("x"), big_endian, mark), kWebConfig, env_of({}));
      ASSERT_EQ(bad.errors.size(), 1u);
      EXPECT_EQ(bad.errors.front().line, 7);
      EXPECT_EQ(bad.errors.front().attribute, "startupTimeLimit");
      LoadResult good =
          parse_config(utf16_of(with_limit("5"), big_endian, mark), kWebConfig, env_of({}));
      ASSERT_TRUE(good.ok());
      EXPECT_EQ(good.config->process_path, "caf\xC3\xA9");
      EXPECT_EQ(good.config->line_of("arguments"), 6);
      EXPECT_EQ(good.config->line_of("startupTimeLimit"), 7);
    }
  }
}

TEST(ConfigSection, EmptyTextIsMalformed) {
  ConfigError error = document_error("");
  EXPECT_NE(error.message.find("malformed XML"), std::string::npos);
}

TEST(ConfigSection, MismatchedTagReportsItsLine) {
  ConfigError error = document_error(
      "<configuration>\n<system.webServer>\n<aspNetCore processPath=\"dotnet\">\n"
      "</aspNetcore>\n</system.webServer>\n</configuration>\n");
  EXPECT_EQ(error.line, 4);
}

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaults, EveryAttributeHasItsDocumentedDefault) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" />)");
  EXPECT_EQ(config.arguments, "");
  EXPECT_EQ(config.hosting_model, HostingModel::InProcess);
  EXPECT_FALSE(config.stdout_log_enabled);
  EXPECT_EQ(config.stdout_log_file, fs::path("/srv/app/aspnetcore-stdout"));
  EXPECT_EQ(config.startup_time_limit, 120s);
  EXPECT_EQ(config.shutdown_time_limit, 10s);
  EXPECT_EQ(config.rapid_fails_per_minute, 10);
  EXPECT_EQ(config.request_timeout, 120s);
  EXPECT_EQ(config.processes_per_application, 1);
  EXPECT_FALSE(config.disable_startup_error_page);
  EXPECT_TRUE(config.forward_windows_auth_token);
  EXPECT_TRUE(config.environment_variables.empty());
  EXPECT_TRUE(config.handler_settings.empty());
  EXPECT_EQ(config.handler.stack_size, 1048576u);
  EXPECT_TRUE(config.handler.call_startup_hook);
  EXPECT_TRUE(config.handler.set_current_directory);
  EXPECT_EQ(config.max_allowed_content_length, 30'000'000u);
}

TEST(ConfigDefaults, ResolvedListsEveryAttributeAndHandlerSettingOnce) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" />)");
  const std::vector<std::string> names = {"processPath",
                                          "arguments",
                                          "hostingModel",
                                          "processesPerApplication",
                                          "stdoutLogEnabled",
                                          "stdoutLogFile",
                                          "startupTimeLimit",
                                          "shutdownTimeLimit",
                                          "rapidFailsPerMinute",
                                          "requestTimeout",
                                          "disableStartUpErrorPage",
                                          "forwardWindowsAuthToken",
                                          "handlerSetting:stackSize",
                                          "handlerSetting:debugLevel",
                                          "handlerSetting:debugFile",
                                          "handlerSetting:setCurrentDirectory",
                                          "handlerSetting:callStartupHook",
                                          "handlerSetting:shutdownDelay",
                                          "handlerSetting:enableShadowCopy",
                                          "handlerSetting:shadowCopyDirectory",
                                          "handlerSetting:cleanShadowCopyDirectory",
                                          "handlerSetting:enableOutOfProcessConsoleRedirection",
                                          "handlerSetting:forwardResponseConnectionHeader",
                                          "handlerSetting:warmStart",
                                          "handlerSetting:batchScheduling",
                                          "handlerSetting:initializationPage",
                                          "requestLimits:maxAllowedContentLength"};
  ASSERT_EQ(config.resolved.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(config.resolved[i].name, names[i]);

  EXPECT_FALSE(resolved(config, "processPath")->defaulted);
  EXPECT_EQ(resolved(config, "startupTimeLimit")->value, "120");
  EXPECT_TRUE(resolved(config, "startupTimeLimit")->defaulted);
  EXPECT_EQ(resolved(config, "requestTimeout")->value, "00:02:00");
  EXPECT_EQ(resolved(config, "hostingModel")->value, "inprocess");
  EXPECT_EQ(resolved(config, "handlerSetting:stackSize")->value, "1048576");
  EXPECT_TRUE(resolved(config, "handlerSetting:stackSize")->defaulted);
}

TEST(ConfigDefaults, WrittenValuesAreNotDefaulted) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet" startupTimeLimit="120" requestTimeout="01:30:15">
           <handlerSettings><handlerSetting name="stackSize" value="1048576" /></handlerSettings>
         </aspNetCore>)");
  EXPECT_FALSE(resolved(config, "startupTimeLimit")->defaulted);
  EXPECT_EQ(resolved(config, "requestTimeout")->value, "01:30:15");
  EXPECT_EQ(config.request_timeout, 5415s);
  EXPECT_FALSE(resolved(config, "handlerSetting:stackSize")->defaulted);
}

TEST(ConfigDefaults, ToStringOfHostingModel) {
  EXPECT_STREQ(to_string(HostingModel::InProcess), "inprocess");
  EXPECT_STREQ(to_string(HostingModel::OutOfProcess), "outofprocess");
}

// ---------------------------------------------------------------- bad values

TEST(ConfigErrors, MissingProcessPathNamesTheAttributeAndLine) {
  ConfigError error = document_error(
      "<configuration>\n<system.webServer>\n<aspNetCore arguments=\"a.dll\" />\n"
      "</system.webServer>\n</configuration>");
  EXPECT_EQ(error.attribute, "processPath");
  EXPECT_EQ(error.line, 3);
  EXPECT_NE(error.message.find("required"), std::string::npos);
}

TEST(ConfigErrors, EmptyProcessPath) {
  ConfigError error = parse_error(R"(<aspNetCore processPath="" />)");
  EXPECT_EQ(error.attribute, "processPath");
  EXPECT_NE(error.message.find("empty"), std::string::npos);
}

TEST(ConfigErrors, ProcessPathEmptyAfterExpansion) {
  ConfigError error =
      parse_error(R"(<aspNetCore processPath="%EMPTY%" />)", env_of({{"EMPTY", ""}}));
  EXPECT_EQ(error.attribute, "processPath");
  EXPECT_NE(error.message.find("%VAR%"), std::string::npos);
}

TEST(ConfigErrors, UnknownHostingModelNamesTheAllowedValues) {
  ConfigError error = parse_error(R"(<aspNetCore processPath="dotnet" hostingModel="inproc" />)");
  EXPECT_EQ(error.attribute, "hostingModel");
  EXPECT_NE(error.message.find("'inproc'"), std::string::npos);
  EXPECT_NE(error.message.find("inprocess"), std::string::npos);
  EXPECT_NE(error.message.find("outofprocess"), std::string::npos);
}

TEST(ConfigErrors, HostingModelIsCaseInsensitiveAndEmptyMeansInProcess) {
  EXPECT_EQ(
      parse_ok(R"(<aspNetCore processPath="dotnet" hostingModel="INPROCESS" />)").hosting_model,
      HostingModel::InProcess);
  EXPECT_EQ(
      parse_ok(R"(<aspNetCore processPath="dotnet" hostingModel="outOfProcess" />)").hosting_model,
      HostingModel::OutOfProcess);
  EXPECT_EQ(parse_ok(R"(<aspNetCore processPath="dotnet" hostingModel="" />)").hosting_model,
            HostingModel::InProcess);
}

TEST(ConfigErrors, RequestTimeoutSixtyMinutesIsAnError) {
  ConfigError error =
      parse_error(R"(<aspNetCore processPath="dotnet" requestTimeout="00:60:00" />)");
  EXPECT_EQ(error.attribute, "requestTimeout");
  EXPECT_NE(error.message.find("0 to 59"), std::string::npos);
  EXPECT_NE(error.message.find("360:00:00"), std::string::npos);
}

TEST(ConfigErrors, RequestTimeoutFormatsAndLimits) {
  for (const char* bad : {"00:00:60", "360:00:01", "400:00:00", "2:00", "abc", "00:02:00.5",
                          "-1:00:00", "1.00:00:00", ""}) {
    LoadResult result =
        parse(std::string(R"(<aspNetCore processPath="dotnet" requestTimeout=")") + bad + "\" />");
    EXPECT_FALSE(result.ok()) << bad;
  }
  EXPECT_EQ(
      parse_ok(R"(<aspNetCore processPath="dotnet" requestTimeout="360:00:00" />)").request_timeout,
      360h);
  EXPECT_EQ(
      parse_ok(R"(<aspNetCore processPath="dotnet" requestTimeout="00:00:00" />)").request_timeout,
      0s);
  EXPECT_EQ(
      parse_ok(R"(<aspNetCore processPath="dotnet" requestTimeout="0:5:7" />)").request_timeout,
      5min + 7s);
}

struct RangeCase {
  const char* attribute;
  const char* value;
  const char* allowed;
};

void PrintTo(const RangeCase& c, std::ostream* out) {
  *out << c.attribute << "=\"" << c.value << "\"";
}

class ConfigRange : public testing::TestWithParam<RangeCase> {};

TEST_P(ConfigRange, OutOfRangeNamesTheRange) {
  const RangeCase& c = GetParam();
  ConfigError error = parse_error(std::string("<aspNetCore processPath=\"dotnet\" ") + c.attribute +
                                  "=\"" + c.value + "\" />");
  EXPECT_EQ(error.attribute, c.attribute);
  EXPECT_NE(error.message.find(c.allowed), std::string::npos) << error.message;
}

INSTANTIATE_TEST_SUITE_P(
    Numbers, ConfigRange,
    testing::Values(RangeCase{"startupTimeLimit", "3601", "0 to 3600"},
                    RangeCase{"startupTimeLimit", "-1", "0 to 3600"},
                    RangeCase{"startupTimeLimit", "99999999999999999999999", "0 to 3600"},
                    RangeCase{"shutdownTimeLimit", "601", "0 to 600"},
                    RangeCase{"rapidFailsPerMinute", "101", "0 to 100"},
                    RangeCase{"processesPerApplication", "0", "1 to 100"},
                    RangeCase{"processesPerApplication", "101", "1 to 100"},
                    RangeCase{"startupTimeLimit", "12abc", "not a whole number"},
                    RangeCase{"startupTimeLimit", " 10", "not a whole number"},
                    RangeCase{"startupTimeLimit", "0x10", "not a whole number"},
                    RangeCase{"shutdownTimeLimit", "", "not a whole number"},
                    RangeCase{"stdoutLogEnabled", "yes", "true or false"},
                    RangeCase{"stdoutLogEnabled", "1", "true or false"},
                    RangeCase{"disableStartUpErrorPage", "", "true or false"},
                    RangeCase{"forwardWindowsAuthToken", "off", "true or false"}),
    [](const testing::TestParamInfo<RangeCase>& info) {
      return std::string(info.param.attribute) + "_" + std::to_string(info.index);
    });

TEST(ConfigErrors, RangeBoundariesAreAccepted) {
  AppConfig low = parse_ok(
      R"(<aspNetCore processPath="dotnet" startupTimeLimit="0" shutdownTimeLimit="0"
           rapidFailsPerMinute="0" processesPerApplication="1" />)");
  EXPECT_EQ(low.startup_time_limit, 0s);
  EXPECT_EQ(low.shutdown_time_limit, 0s);
  EXPECT_EQ(low.rapid_fails_per_minute, 0);
  AppConfig high = parse_ok(
      R"(<aspNetCore processPath="dotnet" hostingModel="outofprocess" startupTimeLimit="3600"
           shutdownTimeLimit="600" rapidFailsPerMinute="100" processesPerApplication="100" />)");
  EXPECT_EQ(high.startup_time_limit, 3600s);
  EXPECT_EQ(high.shutdown_time_limit, 600s);
  EXPECT_EQ(high.rapid_fails_per_minute, 100);
  EXPECT_EQ(high.processes_per_application, 100);
}

TEST(ConfigErrors, BooleansAreCaseInsensitive) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet" stdoutLogEnabled="TRUE" disableStartUpErrorPage="True"
           forwardWindowsAuthToken="FALSE" />)");
  EXPECT_TRUE(config.stdout_log_enabled);
  EXPECT_TRUE(config.disable_startup_error_page);
  EXPECT_FALSE(config.forward_windows_auth_token);
}

TEST(ConfigErrors, AllErrorsAreCollectedInLineOrderWithTheirLines) {
  LoadResult result = parse_config(
      "<configuration>\n"
      "<system.webServer>\n"
      "<aspNetCore processPath=\"dotnet\"\n"
      "            startupTimeLimit=\"9999\"\n"
      "            hostingModel=\"sideways\"\n"
      "            requestTimeout=\"00:60:00\">\n"
      "  <handlerSettings>\n"
      "    <handlerSetting name=\"stackSize\" value=\"8MB\" />\n"
      "  </handlerSettings>\n"
      "  <environmentVariables>\n"
      "    <environmentVariable value=\"orphan\" />\n"
      "  </environmentVariables>\n"
      "</aspNetCore>\n"
      "</system.webServer>\n"
      "</configuration>\n",
      kWebConfig, env_of({}));
  ASSERT_EQ(result.errors.size(), 5u);
  EXPECT_EQ(result.errors[0].attribute, "startupTimeLimit");
  EXPECT_EQ(result.errors[0].line, 4);
  EXPECT_EQ(result.errors[1].attribute, "hostingModel");
  EXPECT_EQ(result.errors[1].line, 5);
  EXPECT_EQ(result.errors[2].attribute, "requestTimeout");
  EXPECT_EQ(result.errors[2].line, 6);
  EXPECT_EQ(result.errors[3].attribute, "handlerSetting:stackSize");
  EXPECT_EQ(result.errors[3].line, 8);
  EXPECT_EQ(result.errors[4].attribute, "name");
  EXPECT_EQ(result.errors[4].line, 11);
}

TEST(ConfigErrors, AttributeLineIsFoundEvenWhenValuesContainTricks) {
  ConfigError error = document_error(
      "<configuration><system.webServer>\n"
      "<aspNetCore arguments='a > b startupTimeLimit=\"1\"'\n"
      "  processPath=\"dotnet\"\n"
      "  startupTimeLimit = \"x\" />\n"
      "</system.webServer></configuration>");
  EXPECT_EQ(error.line, 4);
}

TEST(ConfigErrors, ToStringNamesFileLineAttributeAndMessage) {
  EXPECT_EQ((ConfigError{"/a/web.config", 7, "startupTimeLimit", "too big"}).to_string(),
            "/a/web.config:7: attribute 'startupTimeLimit': too big");
  EXPECT_EQ((ConfigError{"/a/web.config", 0, "", "no such file"}).to_string(),
            "/a/web.config: no such file");
  EXPECT_EQ((ConfigError{"/a/web.config", 3, "", "malformed"}).to_string(),
            "/a/web.config:3: malformed");
  EXPECT_EQ((ConfigError{"", 0, "processPath", "is required"}).to_string(),
            "attribute 'processPath': is required");
  EXPECT_EQ((ConfigError{"/a/web.config", 9, "handlerSetting:stackSize", "bad"}).to_string(),
            "/a/web.config:9: handlerSetting 'stackSize': bad");
  EXPECT_EQ(
      (ConfigError{"/a/web.config", 5, "requestLimits:maxAllowedContentLength", "bad"}).to_string(),
      "/a/web.config:5: requestLimits attribute 'maxAllowedContentLength': bad");
}

TEST(ConfigErrors, UnknownAttributesAreIgnored) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" someFutureThing="x" />)");
  EXPECT_EQ(config.process_path, "dotnet");
}

// ---------------------------------------------------------------- processesPerApplication

TEST(ConfigProcesses, InProcessRunsOneInstanceButRecordsTheWrittenValue) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" processesPerApplication="4" />)");
  EXPECT_EQ(config.processes_per_application, 1);
  const ResolvedSetting* shown = resolved(config, "processesPerApplication");
  EXPECT_EQ(shown->value, "1");
  EXPECT_NE(shown->note.find("4"), std::string::npos);
}

TEST(ConfigProcesses, OutOfProcessKeepsTheValue) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet" hostingModel="outofprocess" processesPerApplication="4" />)");
  EXPECT_EQ(config.processes_per_application, 4);
  EXPECT_TRUE(resolved(config, "processesPerApplication")->note.empty());
}

// ---------------------------------------------------------------- %VAR% expansion

TEST(ConfigExpand, ExpandsDefinedVariablesEverywhereItApplies) {
  EnvLookup env = env_of({{"TOOLS", "/opt/tools"}, {"LOGS", "/var/log/app"}, {"MODE", "fast"}});
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="%TOOLS%\runner" arguments="--mode %MODE%"
           stdoutLogFile="%LOGS%\stdout">
           <environmentVariables>
             <environmentVariable name="RUN_MODE" value="%MODE%-mode" />
           </environmentVariables>
         </aspNetCore>)",
      env);
  EXPECT_EQ(config.process_path, "/opt/tools/runner");
  EXPECT_EQ(config.arguments, "--mode fast");
  EXPECT_EQ(config.stdout_log_file, fs::path("/var/log/app/stdout"));
  ASSERT_EQ(config.environment_variables.size(), 1u);
  EXPECT_EQ(config.environment_variables[0].second, "fast-mode");
}

TEST(ConfigExpand, UndefinedNamesAndDoublePercentStayAsWritten) {
  EnvLookup env = env_of({{"HOME", "/home/site"}});
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet" arguments="app.dll %NOPE% 100%% %NOPE%HOME% 50%">
           <environmentVariables>
             <environmentVariable name="A" value="%UNDEFINED%" />
           </environmentVariables>
         </aspNetCore>)",
      env);
  // The closing '%' of an undefined name may open the next one, as on Windows.
  EXPECT_EQ(config.arguments, "app.dll %NOPE% 100%% %NOPE/home/site 50%");
  EXPECT_EQ(config.environment_variables[0].second, "%UNDEFINED%");
}

TEST(ConfigExpand, LowerCaseWindowsNamesFindUpperCaseLinuxVariables) {
  // What the Azure publish profile writes.
  AppConfig config =
      parse_ok(R"(<aspNetCore processPath="dotnet" stdoutLogFile="\\?\%home%\LogFiles\stdout" />)",
               env_of({{"HOME", "/home/site"}}));
  EXPECT_EQ(config.stdout_log_file, fs::path("/home/site/LogFiles/stdout"));
}

TEST(ConfigExpand, ExactNameWinsOverUpperCase) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" arguments="%home%" />)",
                              env_of({{"HOME", "/upper"}, {"home", "/lower"}}));
  EXPECT_EQ(config.arguments, "/lower");
}

// ---------------------------------------------------------------- paths

TEST(ConfigPaths, ProcessPathTranslation) {
  struct Case {
    const char* written;
    const char* expected;
  };
  for (const Case& c :
       {Case{"dotnet", "dotnet"}, Case{"DOTNET.EXE", "dotnet"}, Case{"dotnet.exe", "dotnet"},
        Case{R"(C:\Program Files\dotnet\dotnet.exe)", "dotnet"},
        Case{R"(.\bin\run.sh)", "/srv/app/bin/run.sh"},
        Case{R"(..\shared\host)", "/srv/shared/host"}, Case{"/usr/bin/env", "/usr/bin/env"},
        Case{"node", "node"}, Case{"bin/app", "/srv/app/bin/app"}}) {
    AppConfig config = parse_ok(std::string("<aspNetCore processPath=\"") + c.written + "\" />");
    EXPECT_EQ(config.process_path, c.expected) << c.written;
  }
}

TEST(ConfigPaths, StdoutLogFileIsAlwaysAbsolute) {
  struct Case {
    const char* written;
    const char* expected;
  };
  for (const Case& c :
       {Case{R"(.\logs\stdout)", "/srv/app/logs/stdout"},
        Case{R"(logs\stdout)", "/srv/app/logs/stdout"},
        Case{"/var/log/app/out", "/var/log/app/out"}, Case{R"(\\?\/var/log/x)", "/var/log/x"},
        Case{"", "/srv/app/aspnetcore-stdout"}}) {
    AppConfig config = parse_ok(std::string("<aspNetCore processPath=\"dotnet\" stdoutLogFile=\"") +
                                c.written + "\" />");
    EXPECT_EQ(config.stdout_log_file, fs::path(c.expected)) << c.written;
  }
}

TEST(ConfigPaths, ArgumentsTranslateOnlyRelativePathWords) {
  struct Case {
    const char* written;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"(.\Hello.dll)", "./Hello.dll"},
           Case{R"(.\bin\Hello.dll --urls http://x\y)", R"(./bin/Hello.dll --urls http://x\y)"},
           Case{R"(&quot;.\My App\Hello.dll&quot; --flag)", R"("./My App/Hello.dll" --flag)"},
           Case{R"(run ..\other\a.dll)", "run ../other/a.dll"},
           Case{R"(--pattern a\.b)", R"(--pattern a\.b)"},
           Case{R"(C:\abs\a.dll)", R"(C:\abs\a.dll)"},
       }) {
    AppConfig config = parse_ok(std::string("<aspNetCore processPath=\"dotnet\" arguments=\"") +
                                c.written + "\" />");
    EXPECT_EQ(config.arguments, c.expected) << c.written;
  }
}

// ---------------------------------------------------------------- launcher overrides

TEST(ConfigLauncher, LauncherPathAndArgsReplaceTheAttributes) {
  EnvLookup env = env_of({{"ANCM_LAUNCHER_PATH", R"(%TOOLS%\launch)"},
                          {"ANCM_LAUNCHER_ARGS", R"(.\Debug.dll --debug)"},
                          {"TOOLS", "/opt/tools"}});
  AppConfig config =
      parse_ok(R"(<aspNetCore processPath="dotnet" arguments=".\MyApp.dll" />)", env);
  EXPECT_EQ(config.process_path, "/opt/tools/launch");
  EXPECT_EQ(config.arguments, "./Debug.dll --debug");
  EXPECT_EQ(resolved(config, "processPath")->note, "from ANCM_LAUNCHER_PATH");
  EXPECT_EQ(resolved(config, "arguments")->note, "from ANCM_LAUNCHER_ARGS");
}

TEST(ConfigLauncher, LauncherPathMakesProcessPathOptional) {
  AppConfig config = parse_ok(R"(<aspNetCore arguments="x.dll" />)",
                              env_of({{"ANCM_LAUNCHER_PATH", "/usr/bin/dotnet-launch"}}));
  EXPECT_EQ(config.process_path, "/usr/bin/dotnet-launch");
  EXPECT_EQ(config.arguments, "x.dll");
}

TEST(ConfigLauncher, EmptyLauncherPathIsIgnoredButEmptyArgsApply) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" arguments="a.dll" />)",
                              env_of({{"ANCM_LAUNCHER_PATH", ""}, {"ANCM_LAUNCHER_ARGS", ""}}));
  EXPECT_EQ(config.process_path, "dotnet");
  EXPECT_EQ(config.arguments, "");
}

// ---------------------------------------------------------------- environment variables

TEST(ConfigEnvironment, LaterDuplicateWinsAtTheFirstPlace) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet">
           <environmentVariables>
             <environmentVariable name="A" value="1" />
             <environmentVariable name="B" value="2" />
             <environmentVariable name="A" value="3" />
             <environmentVariable name="a" value="lower" />
             <environmentVariable name="EMPTY" />
           </environmentVariables>
         </aspNetCore>)");
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(config.environment_variables,
            (Vars{{"A", "3"}, {"B", "2"}, {"a", "lower"}, {"EMPTY", ""}}));
}

TEST(ConfigEnvironment, RemoveAndClearFollowIisCollections) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet">
           <environmentVariables>
             <environmentVariable name="GONE" value="1" />
             <clear />
             <environmentVariable name="A" value="1" />
             <environmentVariable name="B" value="2" />
             <remove name="A" />
           </environmentVariables>
         </aspNetCore>)");
  ASSERT_EQ(config.environment_variables.size(), 1u);
  EXPECT_EQ(config.environment_variables[0].first, "B");
}

TEST(ConfigEnvironment, NameIsRequired) {
  for (const char* entry :
       {R"(<environmentVariable value="x" />)", R"(<environmentVariable name="" value="x" />)"}) {
    ConfigError error = parse_error(std::string(R"(<aspNetCore processPath="dotnet">
           <environmentVariables>)") +
                                    entry + "</environmentVariables></aspNetCore>");
    EXPECT_EQ(error.attribute, "name");
    EXPECT_NE(error.message.find("environmentVariable"), std::string::npos);
  }
}

// ---------------------------------------------------------------- handler settings

std::string with_handler_setting(const std::string& name, const std::string& value) {
  return "<aspNetCore processPath=\"dotnet\"><handlerSettings><handlerSetting name=\"" + name +
         "\" value=\"" + value + "\" /></handlerSettings></aspNetCore>";
}

TEST(ConfigHandler, StackSizeDecimalAndHex) {
  EXPECT_EQ(parse_ok(with_handler_setting("stackSize", "2097152")).handler.stack_size, 2097152u);
  EXPECT_EQ(parse_ok(with_handler_setting("stackSize", "0x800000")).handler.stack_size, 8388608u);
  EXPECT_EQ(parse_ok(with_handler_setting("stackSize", "0X10")).handler.stack_size, 16u);
  AppConfig config = parse_ok(with_handler_setting("stackSize", "0x800000"));
  EXPECT_EQ(resolved(config, "handlerSetting:stackSize")->value, "8388608");
}

TEST(ConfigHandler, StackSizeRejectsNonNumbersAndZero) {
  for (const char* bad :
       {"abc", "8MB", "0", "0x", "0x0", "-1", "1.5", "", "0x1g", "99999999999999999999999"}) {
    LoadResult result = parse(with_handler_setting("stackSize", bad));
    ASSERT_EQ(result.errors.size(), 1u) << bad;
    EXPECT_EQ(result.errors[0].attribute, "handlerSetting:stackSize") << bad;
    EXPECT_NE(result.errors[0].message.find("greater than 0"), std::string::npos) << bad;
    EXPECT_NE(result.errors[0].message.find(std::string("'") + bad + "'"), std::string::npos)
        << result.errors[0].message;
  }
}

TEST(ConfigHandler, NamesAreCaseInsensitive) {
  AppConfig config = parse_ok(with_handler_setting("STACKSIZE", "4096"));
  EXPECT_EQ(config.handler.stack_size, 4096u);
  EXPECT_EQ(config.handler_settings.front().first, "STACKSIZE");
}

TEST(ConfigHandler, EveryTypedSetting) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet">
           <handlerSettings>
             <handlerSetting name="debugLevel" value="FILE,TRACE" />
             <handlerSetting name="debugFile" value=".\logs\aspnetcore-debug.log" />
             <handlerSetting name="setCurrentDirectory" value="false" />
             <handlerSetting name="callStartupHook" value="False" />
             <handlerSetting name="shutdownDelay" value="2500" />
             <handlerSetting name="enableShadowCopy" value="true" />
             <handlerSetting name="shadowCopyDirectory" value="..\ShadowCopy\" />
             <handlerSetting name="cleanShadowCopyDirectory" value="TRUE" />
             <handlerSetting name="enableOutOfProcessConsoleRedirection" value="false" />
             <handlerSetting name="forwardResponseConnectionHeader" value="true" />
           </handlerSettings>
         </aspNetCore>)");
  const HandlerSettings& h = config.handler;
  EXPECT_EQ(h.debug_level, "FILE,TRACE");
  EXPECT_EQ(h.debug_file, fs::path("/srv/app/logs/aspnetcore-debug.log"));
  EXPECT_FALSE(h.set_current_directory);
  EXPECT_FALSE(h.call_startup_hook);
  EXPECT_EQ(h.shutdown_delay, 2500ms);
  EXPECT_TRUE(h.enable_shadow_copy);
  EXPECT_EQ(h.shadow_copy_directory, fs::path("/srv/ShadowCopy/"));
  EXPECT_TRUE(h.clean_shadow_copy_directory);
  EXPECT_FALSE(h.enable_out_of_process_console_redirection);
  EXPECT_TRUE(h.forward_response_connection_header);
  EXPECT_EQ(resolved(config, "handlerSetting:shutdownDelay")->value, "2500");
  EXPECT_EQ(resolved(config, "handlerSetting:callStartupHook")->value, "false");
  EXPECT_FALSE(resolved(config, "handlerSetting:callStartupHook")->defaulted);
  EXPECT_TRUE(resolved(config, "handlerSetting:stackSize")->defaulted);
}

TEST(ConfigHandler, BadBooleansAndDelays) {
  struct Case {
    const char* name;
    const char* value;
  };
  for (const Case& c :
       {Case{"callStartupHook", "yes"}, Case{"enableShadowCopy", "1"}, Case{"shutdownDelay", "-1"},
        Case{"shutdownDelay", "5s"}, Case{"shutdownDelay", "99999999999"}, Case{"warmStart", "on"},
        Case{"batchScheduling", "1"}, Case{"initializationPage", "warmup"},
        Case{"initializationPage", "/warm up"}}) {
    LoadResult result = parse(with_handler_setting(c.name, c.value));
    ASSERT_EQ(result.errors.size(), 1u) << c.name << "=" << c.value;
    EXPECT_EQ(result.errors[0].attribute, std::string("handlerSetting:") + c.name);
  }
}

TEST(ConfigHandler, WarmStartIsOnAndNoInitializationPageByDefault) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" />)");
  EXPECT_TRUE(config.handler.warm_start);
  EXPECT_EQ(config.handler.initialization_page, "");
  EXPECT_EQ(resolved(config, "handlerSetting:warmStart")->value, "true");

  config = parse_ok(
      R"(<aspNetCore processPath="dotnet">
           <handlerSettings>
             <handlerSetting name="warmStart" value="false" />
             <handlerSetting name="initializationPage" value="/warmup?from=ancm" />
           </handlerSettings>
         </aspNetCore>)");
  EXPECT_FALSE(config.handler.warm_start);
  EXPECT_EQ(config.handler.initialization_page, "/warmup?from=ancm");
}

TEST(ConfigHandler, BatchSchedulingIsOnByDefault) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" />)");
  EXPECT_TRUE(config.handler.batch_scheduling);
  EXPECT_EQ(resolved(config, "handlerSetting:batchScheduling")->value, "true");
  EXPECT_FALSE(parse_ok(with_handler_setting("batchScheduling", "false")).handler.batch_scheduling);
}

TEST(ConfigHandler, RawListKeepsEverythingAndLastWins) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet">
           <handlerSettings>
             <handlerSetting name="stackSize" value="4096" />
             <handlerSetting name="experimentalThing" value="on" />
             <handlerSetting name="stackSize" value="8192" />
           </handlerSettings>
         </aspNetCore>)");
  using Vars = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(config.handler_settings,
            (Vars{{"stackSize", "4096"}, {"experimentalThing", "on"}, {"stackSize", "8192"}}));
  EXPECT_EQ(config.handler.stack_size, 8192u);
}

TEST(ConfigHandler, NameIsRequired) {
  ConfigError error = parse_error(
      R"(<aspNetCore processPath="dotnet"><handlerSettings><handlerSetting value="1" /></handlerSettings></aspNetCore>)");
  EXPECT_EQ(error.attribute, "name");
  EXPECT_NE(error.message.find("handlerSetting"), std::string::npos);
}

// ---------------------------------------------------------------- request limits

namespace {

// The aspNetCore element and IIS's request filtering beside it, as one
// system.webServer holds them.
std::string with_request_limits(const std::string& limits_attributes) {
  return "<aspNetCore processPath=\"dotnet\" />\n"
         "<security><requestFiltering>\n"
         "  <requestLimits " +
         limits_attributes +
         " />\n"
         "</requestFiltering></security>";
}

}  // namespace

TEST(ConfigRequestLimits, DefaultIsIisThirtyMillionBytes) {
  AppConfig config = parse_ok(R"(<aspNetCore processPath="dotnet" />)");
  EXPECT_EQ(config.max_allowed_content_length, 30'000'000u);
  const ResolvedSetting* shown = resolved(config, "requestLimits:maxAllowedContentLength");
  ASSERT_NE(shown, nullptr);
  EXPECT_EQ(shown->value, "30000000");
  EXPECT_TRUE(shown->defaulted);
}

TEST(ConfigRequestLimits, RequestFilteringWithoutTheAttributeKeepsTheDefault) {
  for (const char* filtering :
       {"<security><requestFiltering /></security>",
        "<security><requestFiltering><requestLimits maxUrl=\"100\" /></requestFiltering>"
        "</security>"}) {
    AppConfig config = parse_ok(std::string("<aspNetCore processPath=\"dotnet\" />\n") + filtering);
    EXPECT_EQ(config.max_allowed_content_length, 30'000'000u) << filtering;
    EXPECT_TRUE(resolved(config, "requestLimits:maxAllowedContentLength")->defaulted);
  }
}

TEST(ConfigRequestLimits, WrittenValueIsRead) {
  AppConfig config = parse_ok(with_request_limits(R"(maxAllowedContentLength="1000")"));
  EXPECT_EQ(config.max_allowed_content_length, 1000u);
  const ResolvedSetting* shown = resolved(config, "requestLimits:maxAllowedContentLength");
  EXPECT_EQ(shown->value, "1000");
  EXPECT_FALSE(shown->defaulted);
}

TEST(ConfigRequestLimits, IisUintBoundsAreAccepted) {
  EXPECT_EQ(
      parse_ok(with_request_limits(R"(maxAllowedContentLength="0")")).max_allowed_content_length,
      0u);
  EXPECT_EQ(parse_ok(with_request_limits(R"(maxAllowedContentLength="4294967295")"))
                .max_allowed_content_length,
            4'294'967'295u);
}

TEST(ConfigRequestLimits, FoundBesideASectionInLocationOrDirectlyUnderSystemWebServer) {
  // dotnet publish nests aspNetCore in <location path=".">; request
  // filtering is often added directly under system.webServer.
  LoadResult result = parse_config(
      "<configuration>\n"
      "<location path=\".\"><system.webServer><aspNetCore processPath=\"dotnet\" />"
      "</system.webServer></location>\n"
      "<system.webServer><security><requestFiltering>"
      "<requestLimits maxAllowedContentLength=\"52428800\" />"
      "</requestFiltering></security></system.webServer>\n"
      "</configuration>",
      kWebConfig, env_of({}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->max_allowed_content_length, 52'428'800u);
}

TEST(ConfigRequestLimits, ALocationForAnotherPathIsNotThisApp) {
  LoadResult result = parse_config(
      "<configuration>\n"
      "<system.webServer><aspNetCore processPath=\"dotnet\" /></system.webServer>\n"
      "<location path=\"uploads\"><system.webServer><security><requestFiltering>"
      "<requestLimits maxAllowedContentLength=\"5\" />"
      "</requestFiltering></security></system.webServer></location>\n"
      "</configuration>",
      kWebConfig, env_of({}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->max_allowed_content_length, 30'000'000u);
}

struct BadLength {
  const char* value;
  const char* why;
};

void PrintTo(const BadLength& c, std::ostream* out) { *out << '"' << c.value << '"'; }

class ConfigRequestLimitsRejects : public testing::TestWithParam<BadLength> {};

TEST_P(ConfigRequestLimitsRejects, NamingFileLineAttributeAndTheAllowedRange) {
  ConfigError error = parse_error(with_request_limits(
      std::string("\n    maxAllowedContentLength=\"") + GetParam().value + "\""));
  EXPECT_EQ(error.file, kWebConfig);
  EXPECT_EQ(error.line, 8);  // the attribute's own line inside in_location()
  EXPECT_EQ(error.attribute, "requestLimits:maxAllowedContentLength");
  EXPECT_NE(error.message.find(GetParam().why), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("allowed: 0 to 4294967295"), std::string::npos) << error.message;
  EXPECT_NE(error.to_string().find("requestLimits attribute 'maxAllowedContentLength'"),
            std::string::npos)
      << error.to_string();
}

INSTANTIATE_TEST_SUITE_P(Values, ConfigRequestLimitsRejects,
                         testing::Values(BadLength{"4294967296", "out of range"},
                                         BadLength{"-1", "out of range"},
                                         BadLength{"99999999999999999999999", "out of range"},
                                         BadLength{"", "not a whole number"},
                                         BadLength{"30MB", "not a whole number"},
                                         BadLength{"3e7", "not a whole number"},
                                         BadLength{"0x100", "not a whole number"},
                                         BadLength{" 1000", "not a whole number"}));

TEST(ConfigRequestLimits, TwoElementsAreAnErrorNamingBothLines) {
  ConfigError error = document_error(
      "<configuration>\n"
      "<system.webServer><aspNetCore processPath=\"dotnet\" />\n"
      "<security><requestFiltering><requestLimits maxAllowedContentLength=\"1\" />"
      "</requestFiltering></security></system.webServer>\n"
      "<location path=\".\"><system.webServer><security><requestFiltering>\n"
      "<requestLimits maxAllowedContentLength=\"2\" />"
      "</requestFiltering></security></system.webServer></location>\n"
      "</configuration>");
  EXPECT_EQ(error.line, 5);
  EXPECT_NE(error.message.find("requestLimits"), std::string::npos);
  EXPECT_NE(error.message.find("line 3"), std::string::npos);
}

// ---------------------------------------------------------------- describe

TEST(ConfigDescribe, PrintsEverySettingDefaultsNotesAndVariables) {
  AppConfig config = parse_ok(
      R"(<aspNetCore processPath="dotnet" arguments=".\MyApp.dll" hostingModel="outofprocess"
           startupTimeLimit="30">
           <environmentVariables>
             <environmentVariable name="ASPNETCORE_ENVIRONMENT" value="Development" />
           </environmentVariables>
           <handlerSettings>
             <handlerSetting name="stackSize" value="0x200000" />
             <handlerSetting name="mystery" value="42" />
           </handlerSettings>
         </aspNetCore>)");
  std::string text = describe(config);
  auto line_with = [&](const std::string& needle) {
    std::size_t at = text.find(needle);
    if (at == std::string::npos) return std::string();
    std::size_t start = text.rfind('\n', at) + 1;
    return text.substr(start, text.find('\n', at) - start);
  };
  EXPECT_NE(text.find("/srv/app/web.config"), std::string::npos);
  EXPECT_EQ(line_with("processPath").find("(default)"), std::string::npos);
  EXPECT_NE(line_with("processPath").find("= dotnet"), std::string::npos);
  EXPECT_NE(line_with("arguments").find("= ./MyApp.dll"), std::string::npos);
  EXPECT_NE(line_with("startupTimeLimit").find("= 30"), std::string::npos);
  EXPECT_EQ(line_with("startupTimeLimit").find("(default)"), std::string::npos);
  EXPECT_NE(line_with("shutdownTimeLimit").find("= 10 (default)"), std::string::npos);
  EXPECT_NE(line_with("requestTimeout").find("= 00:02:00 (default)"), std::string::npos);
  EXPECT_NE(line_with("handlerSetting:stackSize").find("= 2097152"), std::string::npos);
  EXPECT_NE(line_with("handlerSetting:debugLevel").find("= (not set) (default)"),
            std::string::npos);
  EXPECT_NE(line_with("forwardWindowsAuthToken").find("no effect on Linux"), std::string::npos);
  EXPECT_NE(line_with("mystery").find("42"), std::string::npos);
  EXPECT_NE(text.find("unknown handler settings"), std::string::npos);
  EXPECT_NE(text.find("  ASPNETCORE_ENVIRONMENT=Development\n"), std::string::npos);
  // One line per resolved setting.
  for (const ResolvedSetting& setting : config.resolved) {
    EXPECT_FALSE(line_with("  " + setting.name + " ").empty()) << setting.name;
  }
}

TEST(ConfigDescribe, ShowsTheRequestBodyLimitAndWhetherItIsTheDefault) {
  auto line_of = [](const std::string& text) {
    std::size_t at = text.find("requestLimits:maxAllowedContentLength");
    if (at == std::string::npos) return std::string();
    return text.substr(at, text.find('\n', at) - at);
  };
  std::string defaulted = line_of(describe(parse_ok(R"(<aspNetCore processPath="dotnet" />)")));
  EXPECT_NE(defaulted.find("= 30000000 (default)"), std::string::npos) << defaulted;
  std::string written =
      line_of(describe(parse_ok(with_request_limits(R"(maxAllowedContentLength="1000")"))));
  EXPECT_NE(written.find("= 1000"), std::string::npos) << written;
  EXPECT_EQ(written.find("(default)"), std::string::npos) << written;
}

TEST(ConfigDescribe, SaysWhenThereAreNoVariables) {
  std::string text = describe(parse_ok(R"(<aspNetCore processPath="dotnet" />)"));
  EXPECT_NE(text.find("environment variables: (none)"), std::string::npos);
  EXPECT_EQ(text.find("unknown handler settings"), std::string::npos);
}

// ---------------------------------------------------------------- load_config

TEST(ConfigLoad, AcceptsTheFileOrItsFolder) {
  TempDir dir;
  write_file(dir.path() / "web.config",
             in_location(R"(<aspNetCore processPath="dotnet" arguments=".\a.dll" />)"));
  for (const fs::path& target : {dir.path(), dir.path() / "web.config"}) {
    LoadResult result = load_config(target, env_of({}));
    ASSERT_TRUE(result.ok()) << target;
    EXPECT_EQ(result.config->config_path, dir.path() / "web.config");
    EXPECT_EQ(result.config->app_path, dir.path());
  }
  EXPECT_EQ(web_config_path(dir.path()), dir.path() / "web.config");
  EXPECT_EQ(web_config_path(dir.path() / "other.config"), dir.path() / "other.config");
}

TEST(ConfigLoad, FindsAWindowsCasedFileName) {
  TempDir dir;
  write_file(dir.path() / "Web.config", in_location(R"(<aspNetCore processPath="dotnet" />)"));
  LoadResult result = load_config(dir.path(), env_of({}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->config_path, dir.path() / "Web.config");
}

TEST(ConfigLoad, MissingFileNamesThePath) {
  TempDir dir;
  LoadResult result = load_config(dir.path(), env_of({}));
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].file, dir.path() / "web.config");
  EXPECT_NE(result.errors[0].to_string().find((dir.path() / "web.config").string()),
            std::string::npos);

  LoadResult missing = load_config(dir.path() / "nope" / "web.config", env_of({}));
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].file, dir.path() / "nope" / "web.config");
}

TEST(ConfigLoad, RelativeFileBecomesAbsolute) {
  LoadResult result = parse_config(in_location(R"(<aspNetCore processPath="dotnet" />)"),
                                   "site/web.config", env_of({}));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.config->config_path.is_absolute());
  EXPECT_EQ(result.config->app_path, fs::current_path() / "site");
}

TEST(ConfigLoad, ProcessEnvironmentReadsGetenv) {
  ::setenv("ANCM_CONFIG_TEST_VAR", "value-1", 1);
  EnvLookup env = process_environment();
  EXPECT_EQ(env("ANCM_CONFIG_TEST_VAR"), std::optional<std::string>("value-1"));
  ::unsetenv("ANCM_CONFIG_TEST_VAR");
  EXPECT_EQ(env("ANCM_CONFIG_TEST_VAR"), std::nullopt);
}
