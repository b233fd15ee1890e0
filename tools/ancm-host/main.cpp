// ancm-host: run ASP.NET Core apps the way the ASP.NET Core Module does.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "ancm/common/current_executable.h"
#include "ancm/server/command_line.h"
#include "ancm/server/master.h"
#include "ancm/server/tls_certificates.h"
#include "ancm/server/worker.h"
#include "check_command.h"
#include "master_launch.h"

namespace {

constexpr const char* kVersion = ANCM_VERSION;  // the project version (CMakeLists.txt)

constexpr const char* kRunUsage =
    "usage: ancm-host run <web.config | app folder> [options]\n\n"
    "Serves the application `dotnet publish` wrote, in-process or out-of-process as\n"
    "its web.config's hostingModel says, until SIGTERM or SIGINT (SIGHUP: a new\n"
    "worker takes over without refusing a request).\n\n"
    "options:\n";

constexpr const char* kCheckUsage =
    "usage: ancm-host check <web.config | app folder> [run options]\n\n"
    "Shows what `run` with the same arguments would serve: every web.config setting\n"
    "with its effective value, the handler library the hostingModel loads, the TLS\n"
    "certificates. Each problem is printed with what to do; the exit code is 1 if\n"
    "there is any, 2 for a bad command line. It takes every `run` option\n"
    "(ancm-host run --help).\n";

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage:\n"
               "  ancm-host run <web.config | app folder> [options]    serve the application\n"
               "  ancm-host check <web.config | app folder> [options]  show what run would "
               "serve,\n"
               "                                                       or what is wrong\n"
               "  ancm-host version\n"
               "  ancm-host help [run | check]                         this, or a command's "
               "options\n\n"
               "run options:\n%s",
               ancm::server::run_flags_help().c_str());
}

bool asks_for_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& arg) { return arg == "--help" || arg == "-h"; });
}

// `help`, `help run`, `run --help`, …: exit 0; an unknown command: 2.
int print_help(const std::string& command) {
  if (command == "run") {
    std::printf("%s%s", kRunUsage, ancm::server::run_flags_help().c_str());
  } else if (command == "check") {
    std::printf("%s", kCheckUsage);
  } else if (command == "version") {
    std::printf("usage: ancm-host version\n\nPrints ancm-host's version.\n");
  } else if (command.empty()) {
    print_usage(stdout);
  } else {
    std::fprintf(stderr, "ancm-host: no help for unknown command '%s'\n\n", command.c_str());
    print_usage(stderr);
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(stderr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h") return print_help("");
  if (args[0] == "help") return print_help(args.size() > 1 ? args[1] : "");
  std::string command = args[0];
  args.erase(args.begin());
  bool internal = command == "worker" || command == ancm::server::kCheckCertificatesCommand;
  if (!internal && asks_for_help(args)) return print_help(command);
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
    auto self = ancm::common::current_executable();
    ancm::tools::exec_master(self, args);
    // No ancm-host-master beside this binary: the same master, in this process
    // (without /proc, workers are started as argv[0] is).
    return ancm::server::run_master(parsed.value(), self.empty() ? argv[0] : self);
  }
  if (command == ancm::server::kCheckCertificatesCommand) {  // internal: run by the master
    auto parsed = ancm::server::parse_certificate_check_arguments(args);
    if (!parsed.ok()) {
      std::fprintf(stderr, "ancm-host %s: %s\n", command.c_str(), parsed.error().c_str());
      return 2;
    }
    auto checked = ancm::server::check_certificates(parsed.value());
    if (checked.ok()) return 0;
    std::printf("%s\n", checked.error().c_str());
    return 1;
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
