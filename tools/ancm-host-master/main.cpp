// ancm-host-master: the master of `ancm-host run`, which execs it (master_launch.h)
// with argv[0] the ancm-host binary to start workers from, then "run" and the
// run arguments, already checked once.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/server/command_line.h"
#include "ancm/server/master.h"

int main(int argc, char** argv) {
  std::filesystem::path ancm_host = argc > 0 ? argv[0] : "";
  if (argc < 2 || std::string_view(argv[1]) != "run" || !ancm_host.is_absolute()) {
    std::fprintf(stderr,
                 "ancm-host-master is started by `ancm-host run`; run that instead "
                 "(ancm-host help run)\n");
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  auto parsed = ancm::server::parse_run_arguments(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "ancm-host run: %s\n", parsed.error().c_str());
    return 2;
  }
  return ancm::server::run_master(parsed.value(), ancm_host);
}
