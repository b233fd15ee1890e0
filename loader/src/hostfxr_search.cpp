#include "hostfxr_search.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fxr_version.h"

namespace fs = std::filesystem;

namespace ancm::loader::detail {
namespace {

constexpr const char* kHostfxrName = "libhostfxr.so";

#if defined(__x86_64__)
constexpr const char* kArch = "x64";
#elif defined(__aarch64__)
constexpr const char* kArch = "arm64";
#elif defined(__arm__)
constexpr const char* kArch = "arm";
#elif defined(__i386__)
constexpr const char* kArch = "x86";
#else
constexpr const char* kArch = "";
#endif

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// The first executable `dotnet` in PATH's folders; empty entries are skipped
// (the worker's current directory is no place to look for a runtime).
std::optional<fs::path> dotnet_on_path(const std::string& path_variable) {
  std::string_view rest = path_variable;
  while (!rest.empty()) {
    std::size_t colon = rest.find(':');
    std::string_view entry = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (entry.empty()) continue;
    fs::path candidate = fs::path(entry) / "dotnet";
    if (is_file(candidate) && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// The first line of an install_location file, without surrounding blanks.
common::Result<fs::path> read_install_location(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return common::fail("cannot be read (missing?)");
  std::string line;
  std::getline(in, line);
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!line.empty() && blank(line.back())) line.pop_back();
  line.erase(line.begin(), std::find_if_not(line.begin(), line.end(), blank));
  if (line.empty()) return common::fail("its first line is empty");
  return fs::path(line);
}

class Search {
 public:
  // Looks in `root`; records why not when it has no hostfxr.
  bool try_root(const fs::path& root, std::string found_via) {
    auto hostfxr = hostfxr_in_root(root);
    if (!hostfxr.ok()) {
      tried_.push_back(found_via + ": " + hostfxr.error());
      return false;
    }
    found_ = FoundHostfxr{root, hostfxr.value(), std::move(found_via)};
    return true;
  }
  void note(std::string what) { tried_.push_back(std::move(what)); }

  common::Result<FoundHostfxr> result() const {
    if (found_) return *found_;
    std::string message =
        "could not find libhostfxr.so for processPath 'dotnet'; places tried, in order:";
    for (const std::string& place : tried_) message += "\n  - " + place;
    message +=
        "\nInstall the .NET runtime (ASP.NET Core Runtime), or set DOTNET_ROOT to the folder "
        "that holds host/fxr.";
    return common::fail(std::move(message));
  }

 private:
  std::optional<FoundHostfxr> found_;
  std::vector<std::string> tried_;
};

}  // namespace

std::string arch_dotnet_root_variable() {
  std::string name = "DOTNET_ROOT_";
  for (const char* c = kArch; *c; ++c) name += static_cast<char>(std::toupper(*c));
  return name;
}

std::vector<fs::path> default_install_location_files() {
  std::vector<fs::path> files;
  if (*kArch) files.emplace_back(std::string("/etc/dotnet/install_location_") + kArch);
  files.emplace_back("/etc/dotnet/install_location");
  return files;
}

common::Result<fs::path> hostfxr_in_root(const fs::path& root) {
  fs::path fxr = root / "host" / "fxr";
  std::error_code ec;
  if (!fs::is_directory(fxr, ec)) return common::fail(fxr.string() + " does not exist");
  std::vector<std::pair<FxrVersion, fs::path>> versions;
  for (fs::directory_iterator it(fxr, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec)) continue;
    if (auto version = FxrVersion::parse(it->path().filename().string())) {
      versions.emplace_back(std::move(*version), it->path());
    }
  }
  if (ec) return common::fail(fxr.string() + " cannot be listed: " + ec.message());
  if (versions.empty()) return common::fail(fxr.string() + " has no version folder");
  std::sort(versions.begin(), versions.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string tried;
  for (const auto& [version, folder] : versions) {
    fs::path candidate = folder / kHostfxrName;
    if (is_file(candidate)) return candidate;
    tried += (tried.empty() ? "" : ", ") + folder.filename().string();
  }
  return common::fail("no version folder in " + fxr.string() + " holds " + kHostfxrName +
                      " (tried " + tried + ")");
}

common::Result<FoundHostfxr> find_hostfxr_for_muxer(const EnvLookup& env,
                                                    const SearchLocations& locations) {
  Search search;
  for (const std::string& name : {arch_dotnet_root_variable(), std::string("DOTNET_ROOT")}) {
    auto value = env(name);
    if (!value || value->empty()) {
      search.note(name + " is not set");
    } else if (search.try_root(fs::absolute(*value).lexically_normal(), name + "=" + *value)) {
      return search.result();
    }
  }

  if (auto path = env("PATH"); !path || path->empty()) {
    search.note("PATH is not set");
  } else if (auto dotnet = dotnet_on_path(*path)) {
    std::error_code ec;
    fs::path real = fs::canonical(*dotnet, ec);
    if (ec) {
      search.note("dotnet on PATH (" + dotnet->string() + "): cannot resolve: " + ec.message());
    } else if (search.try_root(real.parent_path(), "dotnet on PATH (" + dotnet->string() + " -> " +
                                                       real.string() + ")")) {
      return search.result();
    }
  } else {
    search.note("no executable dotnet on PATH (" + *path + ")");
  }

  for (const fs::path& file : locations.install_location_files) {
    auto root = read_install_location(file);
    if (!root.ok()) {
      search.note(file.string() + ": " + root.error());
    } else if (search.try_root(root.value(), file.string() + " (" + root.value().string() + ")")) {
      return search.result();
    }
  }

  for (const fs::path& root : locations.default_roots) {
    if (search.try_root(root, root.string())) return search.result();
  }
  return search.result();
}

}  // namespace ancm::loader::detail
