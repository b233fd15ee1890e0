// ancm-host-master: the master of `ancm-host run`, which execs it (master_launch.h)
// with argv[0] the ancm-host binary to start workers from, then "run" and the
// run arguments, already checked once.
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "ancm/common/current_executable.h"
#include "ancm/server/command_line.h"
#include "ancm/server/master.h"

namespace {

// argv[0] names the ancm-host binary when `ancm-host run` started this; run by
// hand, it names this program, which cannot be a worker.
bool started_by_ancm_host(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "run") return false;
  std::filesystem::path ancm_host = argv[0];
  std::error_code ec;
  return ancm_host.is_absolute() &&
         !std::filesystem::equivalent(ancm_host, ancm::common::current_executable(), ec) && !ec;
}

}  // namespace

int main(int argc, char** argv) {
  if (!started_by_ancm_host(argc, argv)) {
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
  return ancm::server::run_master(parsed.value(), argv[0]);
}
