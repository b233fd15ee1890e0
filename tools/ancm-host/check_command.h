#pragma once

#include <string>
#include <vector>

namespace ancm::tools {

// `ancm-host check <web.config|dir> [--json] [run options]`: like `nginx -t`,
// plus what ANCM finds at start-up: the resolved configuration, the handler
// library, processPath / hostfxr / the app's .dll / its frameworks, the
// stdout log folder, the listeners, the TLS certificates. Each problem names
// where it is and what to do; exit code 1 if any, 2 for a bad command line.
// --json prints one JSON object instead (ok, findings, settings).
int check_command(std::vector<std::string> args);

}  // namespace ancm::tools
