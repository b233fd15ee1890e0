// Text -> typed values with the messages users see when a value is wrong.
// Strict on purpose: a typo should fail `ancm-host check`, not be guessed at.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "ancm/common/ascii.h"
#include "ancm/common/result.h"

namespace ancm::config::detail {

// Each parser gives the value, or the reason it could not be read (naming
// what is allowed).
using common::Result;

using common::iequals;
std::string to_lower(std::string_view text);

// "true" / "false", case-insensitive.
Result<bool> parse_bool(std::string_view text);

// Decimal digits with an optional leading '-', within [min, max].
Result<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max);

// "hh:mm:ss": hours 0-360, minutes and seconds 0-59, at most 360:00:00.
Result<std::chrono::seconds> parse_timespan(std::string_view text);
std::string format_timespan(std::chrono::seconds value);  // "00:02:00"

// A byte count: decimal or 0x-prefixed hex, greater than zero.
Result<std::uint64_t> parse_byte_count(std::string_view text);

}  // namespace ancm::config::detail
