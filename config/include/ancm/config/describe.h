// The resolved configuration as `ancm-host check` prints it.
#pragma once

#include <string>

#include "ancm/config/app_config.h"

namespace ancm::config {

// One line per attribute and known handler setting ("name = value", with
// "(default)" when defaulted and a note when the value was adjusted), then
// unknown handler settings and the environment variables.
std::string describe(const AppConfig& config);

}  // namespace ancm::config
