#include "ancm/common/setting_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ancm::common {
namespace {

constexpr std::int64_t kMaxTimespanSeconds = 360 * 3600;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::string> read_integer(std::string_view text, std::int64_t min, std::int64_t max,
                                        std::int64_t& out) {
  auto value = whole_number(text);
  if (!value || *value < min || *value > max) {
    return quoted(text) + " is not a whole number from " + std::to_string(min) + " to " +
           std::to_string(max);
  }
  out = *value;
  return std::nullopt;
}

std::optional<std::string> read_int(std::string_view text, int min, int max, int& out) {
  std::int64_t value = 0;
  if (auto error = read_integer(text, min, max, value)) return error;
  out = static_cast<int>(value);
  return std::nullopt;
}

std::optional<std::string> read_seconds(std::string_view text, std::chrono::seconds& out) {
  std::int64_t value = 0;
  if (auto error = read_integer(text, 0, kMaxTimespanSeconds, value)) return error;
  out = std::chrono::seconds(value);
  return std::nullopt;
}

std::optional<std::string> read_bool(std::string_view text, bool& out) {
  if (iequals(text, "true")) {
    out = true;
  } else if (iequals(text, "false")) {
    out = false;
  } else {
    return quoted(text) + " is not true or false";
  }
  return std::nullopt;
}

std::optional<std::string> read_timespan(std::string_view text, std::chrono::seconds& out) {
  if (text.find(':') == std::string_view::npos) return read_seconds(text, out);
  std::int64_t parts[3] = {};
  std::string_view rest = text;
  for (int i = 0; i < 3; ++i) {
    std::size_t colon = rest.find(':');
    if ((i < 2) != (colon != std::string_view::npos)) {
      return quoted(text) + " is not a time span hh:mm:ss";
    }
    auto value = whole_number(rest.substr(0, colon));
    if (!value || *value < 0 || (i > 0 && *value > 59)) {
      return quoted(text) + " is not a time span hh:mm:ss";
    }
    parts[i] = *value;
    rest = i < 2 ? rest.substr(colon + 1) : std::string_view{};
  }
  if (parts[0] > 360) return quoted(text) + " is longer than 360 hours";
  out = std::chrono::seconds(parts[0] * 3600 + parts[1] * 60 + parts[2]);
  return std::nullopt;
}

}  // namespace ancm::common
