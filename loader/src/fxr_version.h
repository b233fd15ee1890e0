// Version folder names under <root>/host/fxr, compared the way the muxer does.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ancm::loader::detail {

// major.minor.patch[-prerelease][+build], each number all digits; build is ignored.
struct FxrVersion {
  std::uint64_t major = 0;
  std::uint64_t minor = 0;
  std::uint64_t patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers; empty for a release

  // nullopt for names that are not versions ("preview", "8.0", "1.2.3-").
  static std::optional<FxrVersion> parse(std::string_view text);
};

// Semantic version order: numbers numerically, then a release above its
// prereleases, prerelease identifiers numerically or by ASCII, numeric before
// alphanumeric, and a shorter identifier list first.
std::strong_ordering operator<=>(const FxrVersion& a, const FxrVersion& b);
bool operator==(const FxrVersion& a, const FxrVersion& b);

}  // namespace ancm::loader::detail
