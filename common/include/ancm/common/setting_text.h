// Setting text -> typed values, with the messages users see when a value is
// wrong. One set of rules for both readers: config/ validating web.config,
// and the handler libraries reading the resolved settings the shim passes
// them (resolved_settings.h), so the two can never disagree. Strict on
// purpose: a typo should fail `ancm-host check`, not be guessed at.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "ancm/common/result.h"

namespace ancm::common {

// "true" / "false", case-insensitive.
Result<bool> parse_bool(std::string_view text);

// Decimal digits with an optional leading '-', within [min, max].
Result<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max);

// "hh:mm:ss": hours 0-360, minutes and seconds 0-59, at most 360:00:00.
Result<std::chrono::seconds> parse_timespan(std::string_view text);
std::string format_timespan(std::chrono::seconds value);  // "00:02:00"

// A byte count: decimal or 0x-prefixed hex, greater than zero.
Result<std::uint64_t> parse_byte_count(std::string_view text);

}  // namespace ancm::common
