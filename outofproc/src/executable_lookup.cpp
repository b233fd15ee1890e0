#include "executable_lookup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace ancm::outofproc {
namespace {

// Fails with why `path` cannot be executed.
common::Result<void> check_executable(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return common::fail(std::string(std::strerror(errno)));
  if (S_ISDIR(info.st_mode)) return common::fail("it is a directory");
  if (!S_ISREG(info.st_mode)) return common::fail("it is not a regular file");
  if (::access(path.c_str(), X_OK) != 0) {
    return common::fail(std::string("not executable: ") + std::strerror(errno));
  }
  return {};
}

std::vector<fs::path> path_entries(const EnvGetter& env) {
  std::vector<fs::path> entries;
  std::string path = env("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  std::string_view rest = path;
  while (true) {
    std::size_t colon = rest.find(':');
    std::string_view entry = rest.substr(0, colon);
    entries.emplace_back(entry.empty() ? "." : std::string(entry));  // "" means the cwd
    if (colon == std::string_view::npos) break;
    rest = rest.substr(colon + 1);
  }
  return entries;
}

std::optional<fs::path> search(const std::string& name, const std::vector<fs::path>& folders) {
  for (const fs::path& folder : folders) {
    fs::path candidate = folder / name;
    if (check_executable(candidate).ok()) return fs::absolute(candidate).lexically_normal();
  }
  return std::nullopt;
}

}  // namespace

EnvGetter process_env_getter() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value ? std::optional<std::string>(value) : std::nullopt;
  };
}

common::Result<fs::path> find_executable(const std::string& process_path, const fs::path& app_path,
                                         const EnvGetter& env) {
  if (process_path.empty()) return common::fail("processPath is empty");
  if (process_path == "dotnet") {
    std::vector<fs::path> folders = path_entries(env);
    if (auto root = env("DOTNET_ROOT"); root && !root->empty()) folders.emplace_back(*root);
    folders.emplace_back("/usr/share/dotnet");
    folders.emplace_back("/usr/lib/dotnet");
    if (auto found = search("dotnet", folders)) return *found;
    return common::fail(
        "processPath 'dotnet': no executable dotnet found on PATH, in DOTNET_ROOT, "
        "/usr/share/dotnet or /usr/lib/dotnet");
  }
  if (process_path.find('/') == std::string::npos) {
    if (auto found = search(process_path, path_entries(env))) return *found;
    return common::fail("processPath '" + process_path +
                        "': no executable of that name found on PATH");
  }
  fs::path path(process_path);
  if (path.is_relative()) path = app_path / path;
  path = path.lexically_normal();
  if (auto checked = check_executable(path); !checked.ok()) {
    return common::fail("processPath '" + path.string() +
                        "' cannot be executed: " + checked.error());
  }
  return path;
}

}  // namespace ancm::outofproc
