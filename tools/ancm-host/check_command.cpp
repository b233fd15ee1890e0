#include "check_command.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

#include "ancm/config/describe.h"
#include "ancm/config/load.h"
#include "ancm/server/command_line.h"
#include "ancm/server/tls_certificates.h"
#include "ancm/shim/handler_dir.h"
#include "app_checks.h"
#include "check_finding.h"
#include "check_listeners.h"

namespace ancm::tools {
namespace {

namespace json = boost::json;

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// Each problem of web.config, as the configuration reader reported it.
CheckFindings config_errors(const config::LoadResult& loaded) {
  CheckFindings findings;
  for (const auto& error : loaded.errors) {
    findings.push_back(CheckFinding::wrong(error.attribute.empty() ? "web.config" : error.attribute,
                                           error.message, "", error.file, error.line));
  }
  return findings;
}

// The handler library the app's hostingModel loads: where it is, or where it
// was looked for.
CheckFinding check_handler_library(config::HostingModel model) {
  auto search = shim::find_handler_dir();
  auto library = search.dir / shim::handler_file_name(model);
  std::error_code ec;
  if (std::filesystem::is_regular_file(library, ec)) {
    return CheckFinding::found("handler library", library.string());
  }
  if (!search.found) {
    return CheckFinding::wrong("handler library", search.not_found_message(),
                               "install ancm-host whole (docs/install.md)");
  }
  return CheckFinding::wrong("handler library",
                             library.string() + " is missing (hostingModel " +
                                 config::to_string(model) + "); requests would get " +
                                 (model == config::HostingModel::InProcess ? "500.33" : "500.36"),
                             "install ancm-host whole (docs/install.md)");
}

// The certificates the TLS flags name: what they hold, or the first problem.
CheckFindings check_tls(const server::TlsOptions& tls) {
  if (!tls.configured()) return {};
  auto checked = server::check_certificates(tls);
  if (!checked.ok()) {
    return {CheckFinding::wrong("TLS", checked.error(), "correct the --tls-* files")};
  }
  CheckFindings findings;
  for (const auto& certificate : checked.value()) {
    std::string subject = "TLS certificate " + certificate.certificate_file.string();
    std::string detail = "key " + certificate.key_file.string() +
                         "\n  subject: " + certificate.subject + "\n  " +
                         std::string(server::kCheckNamesLabel) + joined(certificate.names) +
                         "\n  " + std::string(server::kCheckExpiresLabel) + certificate.not_after;
    if (certificate.expired) {
      findings.push_back(CheckFinding::wrong(subject, detail + "\n  expired",
                                             "renew it, then reload (SIGHUP)",
                                             certificate.certificate_file));
    } else {
      findings.push_back(CheckFinding::found(subject, detail));
    }
  }
  return findings;
}

void print_text(const CheckFindings& findings) {
  for (const auto& finding : findings) {
    if (!finding.problem) {
      std::printf("%s: %s\n", finding.subject.c_str(), finding.detail.c_str());
      continue;
    }
    std::string where;
    if (!finding.file.empty()) {
      where = finding.file.string() + (finding.line > 0 ? ":" + std::to_string(finding.line) : "") +
              ": ";
    }
    std::fflush(stdout);  // in order when both go to one terminal or file
    std::fprintf(stderr, "error: %s%s: %s\n", where.c_str(), finding.subject.c_str(),
                 finding.detail.c_str());
    if (!finding.fix.empty()) std::fprintf(stderr, "  fix: %s\n", finding.fix.c_str());
  }
}

json::object json_settings(const config::AppConfig& config) {
  json::object settings;
  for (const auto& setting : config.resolved) {
    settings[setting.name] = {
        {"value", setting.value}, {"default", setting.defaulted}, {"note", setting.note}};
  }
  return settings;
}

void print_json(const std::filesystem::path& web_config, const config::LoadResult& loaded,
                const CheckFindings& findings, bool ok) {
  json::array items;
  for (const auto& finding : findings) {
    json::object item{
        {"subject", finding.subject}, {"detail", finding.detail}, {"problem", finding.problem}};
    if (!finding.fix.empty()) item["fix"] = finding.fix;
    if (!finding.file.empty()) item["file"] = finding.file.string();
    if (finding.line > 0) item["line"] = finding.line;
    items.push_back(std::move(item));
  }
  json::object report{{"ok", ok}, {"webConfig", web_config.string()}, {"findings", items}};
  if (loaded.ok()) {
    report["hostingModel"] = config::to_string(loaded.config->hosting_model);
    report["appFolder"] = loaded.config->app_path.string();
    report["settings"] = json_settings(*loaded.config);
  }
  std::printf("%s\n", json::serialize(report).c_str());
}

}  // namespace

int check_command(std::vector<std::string> args) {
  auto json_flag = std::find(args.begin(), args.end(), "--json");
  bool as_json = json_flag != args.end();
  if (as_json) args.erase(json_flag);
  auto parsed = server::parse_run_arguments(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "ancm-host check: %s\n", parsed.error().c_str());
    std::fprintf(stderr,
                 "usage: ancm-host check <web.config | app folder> [--json] [run options]\n");
    return 2;
  }
  const auto& options = parsed.value();
  auto loaded = config::load_config(options.target);
  CheckFindings findings = config_errors(loaded);
  if (loaded.ok()) {
    findings.push_back(check_handler_library(loaded.config->hosting_model));
    for (auto& finding : check_process(*loaded.config)) findings.push_back(std::move(finding));
    for (auto& finding : check_stdout_log(*loaded.config)) findings.push_back(std::move(finding));
  }
  for (auto& finding : check_ports(options)) findings.push_back(std::move(finding));
  for (auto& finding : check_tls(options.tls)) findings.push_back(std::move(finding));
  auto problems = std::count_if(findings.begin(), findings.end(),
                                [](const CheckFinding& finding) { return finding.problem; });

  auto web_config = config::web_config_path(options.target);
  if (as_json) {
    print_json(web_config, loaded, findings, problems == 0);
  } else {
    if (loaded.ok()) std::fputs(config::describe(*loaded.config).c_str(), stdout);
    print_listeners(options);
    print_text(findings);
    if (problems > 0) {
      std::fprintf(stderr, "%td problem(s) in %s\n", problems, web_config.c_str());
    }
  }
  return problems == 0 ? 0 : 1;
}

}  // namespace ancm::tools
