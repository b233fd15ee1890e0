#include "check_command.h"

#include <cstdio>
#include <string>

#include "ancm/config/describe.h"
#include "ancm/config/load.h"
#include "ancm/server/command_line.h"
#include "ancm/server/tls_certificates.h"
#include "check_listeners.h"

namespace ancm::tools {
namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// The certificates the TLS flags name: what they hold, or the first problem.
// Returns the number of problems.
int check_tls(const server::TlsOptions& tls) {
  if (!tls.configured()) return 0;
  auto checked = server::check_certificates(tls);
  if (!checked.ok()) {
    std::fprintf(stderr, "error: %s\n", checked.error().c_str());
    return 1;
  }
  int problems = 0;
  for (const auto& certificate : checked.value()) {
    std::printf("TLS certificate %s (key %s)\n  subject: %s\n  %.*s%s\n  %.*s%s\n",
                certificate.certificate_file.c_str(), certificate.key_file.c_str(),
                certificate.subject.c_str(), static_cast<int>(server::kCheckNamesLabel.size()),
                server::kCheckNamesLabel.data(), joined(certificate.names).c_str(),
                static_cast<int>(server::kCheckExpiresLabel.size()),
                server::kCheckExpiresLabel.data(), certificate.not_after.c_str());
    if (!certificate.expired) continue;
    std::fprintf(stderr, "error: the certificate %s expired on %s\n",
                 certificate.certificate_file.c_str(), certificate.not_after.c_str());
    ++problems;
  }
  return problems;
}

}  // namespace

int check_command(const std::vector<std::string>& args) {
  auto parsed = server::parse_run_arguments(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "ancm-host check: %s\n", parsed.error().c_str());
    std::fprintf(stderr,
                 "usage: ancm-host check <web.config | app folder> [--tls-cert FILE --tls-key "
                 "FILE ...]\n");
    return 2;
  }
  const auto& options = parsed.value();
  auto loaded = config::load_config(options.target);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) {
      std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
    }
    std::fprintf(stderr, "%zu error(s) in %s\n", loaded.errors.size(),
                 config::web_config_path(options.target).c_str());
    return 1;
  }
  std::fputs(config::describe(*loaded.config).c_str(), stdout);
  int problems = check_listeners(options);
  problems += check_tls(options.tls);
  return problems == 0 ? 0 : 1;
}

}  // namespace ancm::tools
