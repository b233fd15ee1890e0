// Reading the resolved settings the shim hands a handler library (text
// values in the ancm_app_params list) into typed fields. Each reader stores
// the value, or returns why the text is not one.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ancm/common/ascii.h"

namespace ancm::common {

// "true" or "false", any case.
std::optional<std::string> read_bool(std::string_view text, bool& out);
// A whole number in [min, max].
std::optional<std::string> read_integer(std::string_view text, std::int64_t min, std::int64_t max,
                                        std::int64_t& out);
std::optional<std::string> read_int(std::string_view text, int min, int max, int& out);
// Whole seconds, 0 to 360 hours.
std::optional<std::string> read_seconds(std::string_view text, std::chrono::seconds& out);
// "hh:mm:ss" as the configuration resolves it (hours may exceed 24), or seconds.
std::optional<std::string> read_timespan(std::string_view text, std::chrono::seconds& out);

}  // namespace ancm::common
