#include "fxr_version.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ancm::loader::detail {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
  if (!all_digits(text)) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool valid_identifier(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text = text.substr(at + 1);
  }
}

std::strong_ordering compare_identifiers(const std::string& a, const std::string& b) {
  bool a_numeric = all_digits(a);
  bool b_numeric = all_digits(b);
  if (a_numeric && b_numeric) {
    // Without leading zeros, a longer number is a bigger one.
    std::string_view a_trimmed =
        std::string_view(a).substr(std::min(a.find_first_not_of('0'), a.size()));
    std::string_view b_trimmed =
        std::string_view(b).substr(std::min(b.find_first_not_of('0'), b.size()));
    if (auto by_length = a_trimmed.size() <=> b_trimmed.size(); by_length != 0) return by_length;
    return a_trimmed.compare(b_trimmed) <=> 0;
  }
  if (a_numeric != b_numeric)
    return a_numeric ? std::strong_ordering::less : std::strong_ordering::greater;
  return a.compare(b) <=> 0;
}

}  // namespace

std::optional<FxrVersion> FxrVersion::parse(std::string_view text) {
  text = text.substr(0, text.find('+'));  // build metadata does not order versions
  std::string_view core = text.substr(0, text.find('-'));
  std::vector<std::string_view> numbers = split(core, '.');
  if (numbers.size() != 3) return std::nullopt;
  FxrVersion version;
  std::uint64_t* fields[] = {&version.major, &version.minor, &version.patch};
  for (std::size_t i = 0; i < 3; ++i) {
    auto value = parse_number(numbers[i]);
    if (!value) return std::nullopt;
    *fields[i] = *value;
  }
  if (core.size() < text.size()) {
    for (std::string_view identifier : split(text.substr(core.size() + 1), '.')) {
      if (!valid_identifier(identifier)) return std::nullopt;
      version.prerelease.emplace_back(identifier);
    }
  }
  return version;
}

std::strong_ordering operator<=>(const FxrVersion& a, const FxrVersion& b) {
  if (auto order = a.major <=> b.major; order != 0) return order;
  if (auto order = a.minor <=> b.minor; order != 0) return order;
  if (auto order = a.patch <=> b.patch; order != 0) return order;
  if (a.prerelease.empty() || b.prerelease.empty()) {
    return b.prerelease.size() <=> a.prerelease.size();  // the release is the greater
  }
  std::size_t common = std::min(a.prerelease.size(), b.prerelease.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (auto order = compare_identifiers(a.prerelease[i], b.prerelease[i]); order != 0) {
      return order;
    }
  }
  return a.prerelease.size() <=> b.prerelease.size();
}

bool operator==(const FxrVersion& a, const FxrVersion& b) { return (a <=> b) == 0; }

}  // namespace ancm::loader::detail
