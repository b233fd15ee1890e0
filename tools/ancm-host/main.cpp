// ancm-host: run ASP.NET Core apps the way the ASP.NET Core Module does.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/server/command_line.h"
#include "ancm/server/master.h"
#include "ancm/server/worker.h"
#include "check_command.h"

namespace {

constexpr const char* kVersion = ANCM_VERSION;  // the project version (CMakeLists.txt)

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage:\n"
               "  ancm-host run <web.config | app folder> [options]   serve the application\n"
               "  ancm-host check <web.config | app folder> [options] show the resolved "
               "configuration\n"
               "                                                      and the TLS certificates\n"
               "  ancm-host version\n\n"
               "run options:\n%s",
               ancm::server::run_flags_help().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "version" || command == "--version") {
    std::printf("ancm-host %s\n", kVersion);
    return 0;
  }
  if (command == "check") return ancm::tools::check_command(args);
  if (command == "run") {
    auto parsed = ancm::server::parse_run_arguments(args);
    if (!parsed.ok()) {
      std::fprintf(stderr, "ancm-host run: %s\n", parsed.error().c_str());
      return 2;
    }
    return ancm::server::run_master(parsed.value());
  }
  if (command == "worker") {  // internal: started by the master
    auto parsed = ancm::server::parse_worker_arguments(args);
    if (!parsed.ok()) {
      std::fprintf(stderr, "ancm-host worker: %s\n", parsed.error().c_str());
      return 2;
    }
    return ancm::server::run_worker(parsed.value());
  }
  std::fprintf(stderr, "ancm-host: unknown command '%s'\n\n", command.c_str());
  print_usage(stderr);
  return 2;
}
