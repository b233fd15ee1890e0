#include "ancm/common/setting_text.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>
#include <optional>

#include "ancm/common/ascii.h"

namespace ancm::common {
namespace {

constexpr std::int64_t kMaxTimespanHours = 360;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// Digits to a number; nullopt when it does not fit (callers report "out of range").
std::optional<std::uint64_t> digits_value(std::string_view digits, unsigned base) {
  std::uint64_t value = 0;
  for (char c : digits) {
    unsigned digit =
        std::isdigit(static_cast<unsigned char>(c))
            ? static_cast<unsigned>(c - '0')
            : static_cast<unsigned>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

}  // namespace

Result<bool> parse_bool(std::string_view text) {
  if (iequals(text, "true")) return true;
  if (iequals(text, "false")) return false;
  return fail(quoted(text) + " is not a boolean; allowed: true or false");
}

Result<std::int64_t> parse_integer(std::string_view text, std::int64_t min, std::int64_t max) {
  std::string range = "allowed: " + std::to_string(min) + " to " + std::to_string(max);
  bool negative = !text.empty() && text.front() == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (!all_digits(digits)) {
    return fail(quoted(text) + " is not a whole number; " + range);
  }
  std::optional<std::uint64_t> magnitude = digits_value(digits, 10);
  auto out_of_range = [&] { return fail(std::string(text) + " is out of range; " + range); };
  if (!magnitude ||
      *magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return out_of_range();
  }
  std::int64_t value = static_cast<std::int64_t>(*magnitude);
  if (negative) value = -value;
  if (value < min || value > max) return out_of_range();
  return value;
}

Result<std::chrono::seconds> parse_timespan(std::string_view text) {
  const std::string allowed = "allowed: hh:mm:ss from 00:00:00 to 360:00:00";
  std::string_view parts[3];
  std::string_view rest = text;
  for (int i = 0; i < 3; ++i) {
    std::size_t colon = rest.find(':');
    if ((i < 2) != (colon != std::string_view::npos)) {
      return fail(quoted(text) + " is not a time span; " + allowed);
    }
    parts[i] = rest.substr(0, colon);
    rest = i < 2 ? rest.substr(colon + 1) : std::string_view{};
  }
  // Six digits are plenty for 360 hours and keep digits_value far from overflow.
  for (std::string_view part : parts) {
    if (!all_digits(part) || part.size() > 6) {
      return fail(quoted(text) + " is not a time span; " + allowed);
    }
  }
  std::int64_t hours = static_cast<std::int64_t>(*digits_value(parts[0], 10));
  std::int64_t minutes = static_cast<std::int64_t>(*digits_value(parts[1], 10));
  std::int64_t seconds = static_cast<std::int64_t>(*digits_value(parts[2], 10));
  if (minutes > 59 || seconds > 59) {
    return fail(quoted(text) + ": minutes and seconds must be 0 to 59; " + allowed);
  }
  std::int64_t total = hours * 3600 + minutes * 60 + seconds;
  if (total > kMaxTimespanHours * 3600) {
    return fail(quoted(text) + " is longer than 360 hours; " + allowed);
  }
  return std::chrono::seconds(total);
}

std::string format_timespan(std::chrono::seconds value) {
  std::int64_t total = value.count();
  char text[32];
  std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  return text;
}

Result<std::uint64_t> parse_byte_count(std::string_view text) {
  const std::string allowed = "allowed: a number of bytes greater than 0, decimal or 0x hex";
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  std::string_view digits = hex ? text.substr(2) : text;
  bool valid = !digits.empty() && std::all_of(digits.begin(), digits.end(), [&](unsigned char c) {
    return hex ? std::isxdigit(c) != 0 : std::isdigit(c) != 0;
  });
  if (!valid) return fail(quoted(text) + " is not a number; " + allowed);
  std::optional<std::uint64_t> value = digits_value(digits, hex ? 16 : 10);
  if (!value) return fail(quoted(text) + " is too large; " + allowed);
  if (*value == 0) return fail(quoted(text) + " is too small; " + allowed);
  return *value;
}

}  // namespace ancm::common
