#include <string_view>

#include "ancm/config/load.h"

namespace ancm::config {
namespace {

constexpr std::string_view kHandlerPrefix = "handlerSetting:";

// "handlerSetting:stackSize" reads better as "handlerSetting 'stackSize'".
std::string subject(std::string_view attribute) {
  if (attribute.starts_with(kHandlerPrefix)) {
    return "handlerSetting '" + std::string(attribute.substr(kHandlerPrefix.size())) + "'";
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
