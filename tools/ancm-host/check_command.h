#pragma once

#include <string>
#include <vector>

namespace ancm::tools {

// `ancm-host check <web.config|dir>`: prints the resolved configuration, or
// the errors and exit code 1.
int check_command(const std::vector<std::string>& args);

}  // namespace ancm::tools
