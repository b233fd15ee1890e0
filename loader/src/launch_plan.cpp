#include <cctype>
#include <cstdlib>
#include <iterator>
#include <system_error>
#include <utility>

#include "ancm/common/command_line_split.h"
#include "ancm/loader/loader.h"
#include "hostfxr_search.h"

namespace fs = std::filesystem;

namespace ancm::loader {
namespace {

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

bool ends_with_exe(const std::string& name) {
  if (name.size() < 4) return false;
  std::string tail = name.substr(name.size() - 4);
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == ".exe";
}

// The name without a Windows ".exe"; nothing else counts as an extension
// ("My.App" is the apphost of "My.App.dll").
std::string program_name(const fs::path& executable) {
  std::string name = executable.filename().string();
  return ends_with_exe(name) ? name.substr(0, name.size() - 4) : name;
}

bool is_muxer_name(const std::string& process_path) {
  return process_path == "dotnet" || process_path == "dotnet.exe";
}

common::Failed<PlanFailure> failure(PlanError kind, std::string message) {
  return common::fail(PlanFailure{kind, std::move(message)});
}

common::Result<std::vector<std::string>, PlanFailure> split_arguments(
    const std::string& arguments) {
  auto words = common::split_command_line(arguments);
  if (!words.ok())
    return failure(PlanError::BadArguments, "cannot split arguments: " + words.error());
  return std::move(words).value();
}

// The app dll (first word, relative to app_path) and the rest as argv.
common::Result<LaunchPlan, PlanFailure> framework_dependent(std::vector<std::string> words,
                                                            const std::string& arguments,
                                                            const fs::path& app_path,
                                                            detail::FoundHostfxr found,
                                                            fs::path host_path) {
  LaunchPlan plan;
  plan.dotnet_root = std::move(found.root);
  plan.hostfxr_path = std::move(found.hostfxr);
  plan.found_via = std::move(found.found_via);
  plan.host_path = std::move(host_path);
  plan.app_dll = (app_path / words.front()).lexically_normal();
  if (!is_file(plan.app_dll)) {
    return failure(PlanError::AppDllNotFound,
                   "the app dll " + plan.app_dll.string() + " (first word of arguments '" +
                       arguments + "', relative to " + app_path.string() + ") does not exist");
  }
  words.front() = plan.app_dll.string();
  plan.argv = std::move(words);
  return plan;
}

common::Result<LaunchPlan, PlanFailure> self_contained(const fs::path& executable,
                                                       std::vector<std::string> words) {
  fs::path folder = executable.parent_path();
  LaunchPlan plan;
  plan.self_contained = true;
  plan.dotnet_root = folder;
  plan.hostfxr_path = folder / "libhostfxr.so";
  plan.host_path = executable;
  plan.app_dll = folder / (program_name(executable) + ".dll");
  plan.found_via = "next to the self-contained app " + executable.string();
  if (!is_file(plan.app_dll)) {
    return failure(PlanError::AppDllNotFound, "the self-contained app " + executable.string() +
                                                  " has no " + plan.app_dll.string());
  }
  plan.argv.push_back(plan.app_dll.string());
  plan.argv.insert(plan.argv.end(), std::make_move_iterator(words.begin()),
                   std::make_move_iterator(words.end()));
  return plan;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
}

SearchLocations::SearchLocations()
    : install_location_files(detail::default_install_location_files()),
      default_roots{"/usr/share/dotnet", "/usr/lib/dotnet"} {}

common::Result<LaunchPlan, PlanFailure> make_launch_plan(const std::string& process_path,
                                                         const std::string& arguments,
                                                         const fs::path& app_path,
                                                         const EnvLookup& env,
                                                         const SearchLocations& locations) {
  if (process_path.empty()) return failure(PlanError::BadArguments, "processPath is empty");
  fs::path app_folder = fs::absolute(app_path).lexically_normal();
  auto split = split_arguments(arguments);
  if (!split.ok()) return common::fail(std::move(split).error());
  auto words = std::move(split).value();

  if (is_muxer_name(process_path)) {
    if (words.empty()) {
      return failure(PlanError::BadArguments,
                     "arguments is empty: with processPath 'dotnet' the first argument must be "
                     "the app's dll (e.g. .\\MyApp.dll)");
    }
    auto found = detail::find_hostfxr_for_muxer(env, locations);
    if (!found.ok()) return failure(PlanError::HostfxrNotFound, std::move(found).error());
    auto& hostfxr = found.value();
    fs::path muxer = hostfxr.root / "dotnet";
    return framework_dependent(std::move(words), arguments, app_folder, std::move(hostfxr),
                               std::move(muxer));
  }

  fs::path executable = (app_folder / process_path).lexically_normal();
  if (ends_with_exe(executable.filename().string()) && !is_file(executable)) {
    executable.replace_filename(program_name(executable));  // .\MyApp.exe is ./MyApp here
  }
  if (is_file(executable.parent_path() / "libhostfxr.so")) {
    return self_contained(executable, std::move(words));
  }
  if (program_name(executable) == "dotnet") {
    // An explicit muxer, e.g. /opt/dotnet/dotnet: its own root and nothing else.
    if (words.empty()) {
      return failure(PlanError::BadArguments, "arguments is empty: with processPath '" +
                                                  process_path +
                                                  "' the first argument must be the app's dll");
    }
    std::error_code ec;
    fs::path real = fs::canonical(executable, ec);
    fs::path root = ec ? executable.parent_path() : real.parent_path();
    auto hostfxr = detail::hostfxr_in_root(root);
    if (!hostfxr.ok()) {
      return failure(PlanError::HostfxrNotFound, "could not find libhostfxr.so for processPath '" +
                                                     process_path + "': " + hostfxr.error());
    }
    detail::FoundHostfxr found{root, hostfxr.value(), "the muxer " + executable.string()};
    return framework_dependent(std::move(words), arguments, app_folder, std::move(found),
                               executable);
  }
  return failure(PlanError::HostfxrNotFound,
                 "processPath '" + process_path + "' is taken as a self-contained app, but " +
                     (executable.parent_path() / "libhostfxr.so").string() +
                     " does not exist (a framework-dependent app uses processPath \"dotnet\")");
}

}  // namespace ancm::loader
