#include "request_limits.h"

#include <cstdint>
#include <limits>
#include <string>

#include "values.h"

namespace ancm::config::detail {
namespace {

constexpr const char* kMaxAllowedContentLength = "maxAllowedContentLength";
// How `ancm-host check` and errors name it: the element, then the attribute.
constexpr const char* kSettingName = "requestLimits:maxAllowedContentLength";

}  // namespace

void apply_request_limits(const std::optional<RawRequestLimits>& limits, AppConfig& config,
                          ErrorSink& errors) {
  const RawAttribute* raw = nullptr;
  if (limits) {
    auto found = limits->attributes.find(kMaxAllowedContentLength);
    if (found != limits->attributes.end()) raw = &found->second;
  }
  if (raw != nullptr) {
    Result<std::int64_t> parsed =
        parse_integer(raw->value, 0, std::numeric_limits<std::uint32_t>::max());
    if (parsed.ok()) {
      config.max_allowed_content_length = static_cast<std::uint64_t>(parsed.value());
    } else {
      errors.add(raw->line, kSettingName, parsed.error() + " (bytes)");
    }
  }
  config.resolved.push_back(ResolvedSetting{
      kSettingName, std::to_string(config.max_allowed_content_length), raw == nullptr, {}});
}

}  // namespace ancm::config::detail
