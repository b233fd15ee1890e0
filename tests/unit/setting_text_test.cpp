// The one set of setting-text rules (common/setting_text.h), and the handler
// libraries' reader of the resolved settings applying exactly those rules: a
// value config/ refuses is refused there too, and what config/ writes reads back.
#include "ancm/common/setting_text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ancm/common/resolved_settings.h"

using namespace ancm::common;
using namespace std::chrono_literals;

namespace {

ancm_str str(const std::string& text) { return {text.data(), text.size()}; }

// The settings as the shim hands them over, one name and value.
Result<ResolvedSettings> read_one(const std::string& name, const std::string& value,
                                  ModuleHosting hosting = ModuleHosting::OutOfProcess) {
  std::vector<ancm_kv> settings{{str(name), str(value)}};
  ancm_app_params params{};
  params.settings = settings.data();
  params.settings_count = settings.size();
  return read_resolved_settings(params, hosting);
}

TEST(SettingText, TimespansAreHoursMinutesSecondsUpTo360Hours) {
  EXPECT_EQ(parse_timespan("00:02:00").value(), 120s);
  EXPECT_EQ(parse_timespan("360:00:00").value(), 360h);
  EXPECT_FALSE(parse_timespan("360:00:01").ok());
  EXPECT_FALSE(parse_timespan("00:60:00").ok());
  EXPECT_FALSE(parse_timespan("00:00:60").ok());
  EXPECT_FALSE(parse_timespan("120").ok());
  EXPECT_FALSE(parse_timespan("-1:00:00").ok());
  EXPECT_EQ(format_timespan(parse_timespan("01:30:15").value()), "01:30:15");
}

TEST(SettingText, IntegersBooleansAndByteCounts) {
  EXPECT_EQ(parse_integer("-5", -10, 10).value(), -5);
  EXPECT_FALSE(parse_integer("11", -10, 10).ok());
  EXPECT_FALSE(parse_integer("1e3", 0, 10000).ok());
  EXPECT_FALSE(parse_integer("99999999999999999999", 0, 10).ok());
  EXPECT_TRUE(parse_bool("TRUE").value());
  EXPECT_FALSE(parse_bool("False").value());
  EXPECT_FALSE(parse_bool("yes").ok());
  EXPECT_EQ(parse_byte_count("0x100000").value(), 1048576u);
  EXPECT_FALSE(parse_byte_count("0").ok());
}

// Before one set of rules, the reader took "360:00:59", which web.config refuses.
TEST(ResolvedSettingsReader, RefusesWhatTheConfigurationRefuses) {
  auto over = read_one("requestTimeout", "360:00:59");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().find("setting requestTimeout"), std::string::npos) << over.error();
  EXPECT_FALSE(read_one("rapidFailsPerMinute", "101").ok());
  EXPECT_FALSE(read_one("handlerSetting:forwardResponseConnectionHeader", "1").ok());
}

TEST(ResolvedSettingsReader, ReadsTheValuesTheConfigurationWrites) {
  EXPECT_EQ(read_one("requestTimeout", "01:30:15").value().request_timeout, 5415s);
  EXPECT_EQ(read_one("shutdownTimeLimit", "25").value().shutdown_time_limit, 25s);
  EXPECT_EQ(
      read_one("handlerSetting:STACKSIZE", "2097152", ModuleHosting::InProcess).value().stack_size,
      2097152u);
  // The other hosting model's setting is not read at all.
  EXPECT_TRUE(read_one("handlerSetting:stackSize", "not a number").ok());
}

}  // namespace
