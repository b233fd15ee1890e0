#pragma once

#include <string>
#include <vector>

namespace ancm::tools {

// `ancm-host check <web.config|dir> [run options]`: prints the resolved
// configuration and the TLS certificates the options name (names, expiry), or
// the errors (naming the file) and exit code 1.
int check_command(const std::vector<std::string>& args);

}  // namespace ancm::tools
