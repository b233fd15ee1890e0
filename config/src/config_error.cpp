#include <string_view>

#include "ancm/config/load.h"

namespace ancm::config {
namespace {

constexpr std::string_view kHandlerPrefix = "handlerSetting:";

// "handlerSetting:stackSize" reads better as "handlerSetting 'stackSize'",
// "requestLimits:maxAllowedContentLength" as "requestLimits attribute '...'".
std::string subject(std::string_view attribute) {
  if (attribute.starts_with(kHandlerPrefix)) {
    return "handlerSetting '" + std::string(attribute.substr(kHandlerPrefix.size())) + "'";
  }
  if (std::size_t colon = attribute.find(':'); colon != std::string_view::npos) {
    return std::string(attribute.substr(0, colon)) + " attribute '" +
           std::string(attribute.substr(colon + 1)) + "'";
  }
  return "attribute '" + std::string(attribute) + "'";
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string text;
  if (!file.empty()) {
    text += file.string();
    if (line > 0) text += ':' + std::to_string(line);
    text += ": ";
  } else if (line > 0) {
    text += "line " + std::to_string(line) + ": ";
  }
  if (!attribute.empty()) text += subject(attribute) + ": ";
  text += message;
  return text;
}

}  // namespace ancm::config
