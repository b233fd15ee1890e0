#include "app_checks.h"

#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "ancm/common/command_line_split.h"
#include "ancm/common/result.h"
#include "ancm/loader/loader.h"
#include "ancm/server/listen_address.h"
#include "check_listeners.h"
#include "executable_lookup.h"
#include "framework_check.h"

namespace ancm::tools {
namespace {

namespace fs = std::filesystem;

CheckFinding wrong_in_config(const config::AppConfig& config, const std::string& attribute,
                             std::string detail, std::string fix) {
  return CheckFinding::wrong(attribute, std::move(detail), std::move(fix), config.config_path,
                             config.line_of(attribute));
}

fs::path runtime_config_of(const fs::path& dll) {
  auto file = dll;
  return file.replace_extension(".runtimeconfig.json");
}

void add(CheckFindings& to, CheckFindings more) {
  for (auto& finding : more) to.push_back(std::move(finding));
}

// The app's .dll exists (a finding either way); then, for a framework-dependent
// app, the frameworks it asks for under dotnet_root. `page` is what requests
// get without the .dll.
void check_app_dll(const config::AppConfig& config, const fs::path& dll,
                   const fs::path* dotnet_root, std::string_view page, CheckFindings& findings) {
  std::error_code ec;
  if (!fs::is_regular_file(dll, ec)) {
    findings.push_back(wrong_in_config(
        config, "arguments",
        dll.string() + " does not exist; requests would get " + std::string(page),
        "publish the app to " + config.app_path.string() + ", or correct arguments"));
    return;
  }
  findings.push_back(CheckFinding::found("application", dll.string()));
  if (dotnet_root) add(findings, check_frameworks(runtime_config_of(dll), *dotnet_root));
}

CheckFindings check_in_process(const config::AppConfig& config) {
  auto plan = loader::make_launch_plan(config.process_path, config.arguments, config.app_path);
  if (!plan.ok()) {
    const auto& failure = plan.error();
    bool no_hostfxr = failure.kind == loader::PlanError::HostfxrNotFound;
    return {wrong_in_config(
        config, no_hostfxr ? "processPath" : "arguments",
        failure.message + (no_hostfxr ? "; requests would get 500.32" : ""),
        no_hostfxr ? "install the .NET runtime (with the ASP.NET Core shared framework), or "
                     "set DOTNET_ROOT to where it is"
                   : "publish the app again, or correct processPath and arguments")};
  }
  CheckFindings findings;
  findings.push_back(CheckFinding::found(
      "hostfxr", plan.value().hostfxr_path.string() + " (" + plan.value().found_via + ")"));
  const auto& root = plan.value().dotnet_root;
  check_app_dll(config, plan.value().app_dll, plan.value().self_contained ? nullptr : &root,
                "500.38", findings);
  return findings;
}

CheckFindings check_out_of_process(const config::AppConfig& config) {
  auto executable = outofproc::find_executable(config.process_path, config.app_path);
  if (!executable.ok()) {
    return {wrong_in_config(config, "processPath",
                            executable.error() + "; requests would get 502.5",
                            "install it, or correct processPath (an absolute path, a name on "
                            "PATH, or dotnet)")};
  }
  CheckFindings findings;
  findings.push_back(CheckFinding::found("processPath", executable.value().string()));
  if (executable.value().filename() != "dotnet") return findings;
  auto words = common::split_command_line(config.arguments);
  if (!words.ok() || words.value().empty()) {
    findings.push_back(wrong_in_config(
        config, "arguments", words.ok() ? "empty: dotnet needs the app's .dll" : words.error(),
        "set arguments to the app's .dll (arguments=\".\\App.dll\")"));
    return findings;
  }
  fs::path dll = words.value().front();
  if (dll.is_relative()) dll = (config.app_path / dll).lexically_normal();
  // The muxer's folder is the dotnet root (/usr/bin/dotnet is a link into it).
  std::error_code ec;
  auto muxer = fs::canonical(executable.value(), ec);
  auto root = (ec ? executable.value() : muxer).parent_path();
  check_app_dll(config, dll, &root, "502.5", findings);
  return findings;
}

}  // namespace

CheckFindings check_process(const config::AppConfig& config) {
  return config.hosting_model == config::HostingModel::InProcess ? check_in_process(config)
                                                                 : check_out_of_process(config);
}

// The folder itself, or the nearest ancestor that exists, which creating the
// folder would write into; an error when looking fails for another reason
// than absence (e.g. an ancestor that may not be searched).
common::Result<fs::path> nearest_existing(const fs::path& folder) {
  for (fs::path at = folder;; at = at.parent_path()) {
    std::error_code ec;
    // Not followed: a dangling link there makes creating the folder fail.
    auto status = fs::symlink_status(at, ec);
    if (status.type() != fs::file_type::not_found) {
      if (ec) return common::fail("cannot look at " + at.string() + ": " + ec.message());
      return at;
    }
    if (!at.has_relative_path()) return at;  // "/" or "": nothing higher to look at
  }
}

// What is wrong with making (or writing into) folder, empty when nothing.
std::string stdout_folder_problem(const fs::path& folder) {
  auto existing = nearest_existing(folder);
  if (!existing.ok()) return existing.error();
  const fs::path& at = existing.value();
  std::error_code ec;
  if (!fs::is_directory(at, ec)) return at.string() + " is not a folder";
  if (::access(at.c_str(), W_OK | X_OK) != 0) {
    return at.string() + " is not writable (" +
           std::error_code(errno, std::generic_category()).message() + ")";
  }
  return {};
}

// ANCM creates the folder when the app starts, as the user the app runs as.
// check may run as someone else (root under sudo), so it creates nothing (a
// folder it made would belong to that user): it looks at what exists, and
// tests writability as the user running check.
CheckFindings check_stdout_log(const config::AppConfig& config) {
  if (!config.stdout_log_enabled) return {};
  auto folder = config.stdout_log_file.parent_path();
  auto problem = stdout_folder_problem(folder);
  if (problem.empty()) {
    std::error_code ec;
    bool exists = fs::is_directory(folder, ec);
    return {CheckFinding::found(
        "stdoutLogFile",
        folder.string() + (exists ? " is writable" : " can be created at the app's start"))};
  }
  return {wrong_in_config(config, "stdoutLogFile",
                          folder.string() + " cannot be made or written: " + problem +
                              "; the app's output would not be logged",
                          "create " + folder.string() +
                              " writable by the user ancm-host runs as, or change stdoutLogFile")};
}

CheckFindings check_ports(const server::MasterOptions& options) {
  auto urls = urls_run_would_bind(options);
  if (!urls) return {CheckFinding::found("ports", "the sockets systemd passes (LISTEN_FDS)")};
  CheckFindings findings;
  for (const auto& url : *urls) {
    std::string subject = "port of " + url;
    auto address = server::parse_listen_url(url);
    if (!address.ok()) {
      findings.push_back(CheckFinding::wrong(subject, address.error(), "correct --listen"));
      continue;
    }
    if (address.value().is_unix) {
      auto folder = fs::path(address.value().unix_path).parent_path();
      std::error_code ec;
      if (fs::is_directory(folder, ec)) {
        findings.push_back(CheckFinding::found(subject, "a Unix socket in " + folder.string()));
      } else {
        findings.push_back(CheckFinding::wrong(subject, folder.string() + " is not a folder",
                                               "create it, or choose another path"));
      }
      continue;
    }
    if (address.value().port == 0) {
      findings.push_back(CheckFinding::found(subject, "a free port, chosen at start"));
      continue;
    }
    try {
      server::bind_listeners(address.value(), 1);  // closed again at once
      findings.push_back(CheckFinding::found(subject, "free"));
    } catch (const std::exception& error) {
      findings.push_back(CheckFinding::wrong(
          subject, error.what(), "stop what listens there (ss -ltnp), or choose another --listen"));
    }
  }
  return findings;
}

}  // namespace ancm::tools
