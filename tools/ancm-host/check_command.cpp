#include "check_command.h"

#include <cstdio>

#include "ancm/config/describe.h"
#include "ancm/config/load.h"

namespace ancm::tools {

int check_command(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: ancm-host check <web.config | app folder>\n");
    return 2;
  }
  auto loaded = config::load_config(args[0]);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) {
      std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
    }
    std::fprintf(stderr, "%zu error(s) in %s\n", loaded.errors.size(),
                 config::web_config_path(args[0]).c_str());
    return 1;
  }
  std::fputs(config::describe(*loaded.config).c_str(), stdout);
  return 0;
}

}  // namespace ancm::tools
