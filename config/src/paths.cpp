#include "paths.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <system_error>

#include "values.h"

namespace fs = std::filesystem;

namespace ancm::config::detail {
namespace {

bool is_dotnet_name(std::string_view name) {
  return iequals(name, "dotnet") || iequals(name, "dotnet.exe");
}

// "C:/Program Files/dotnet/dotnet.exe": meaningless on Linux except as a
// statement that the muxer is wanted.
bool is_windows_drive_path(std::string_view path) {
  return path.size() >= 3 && std::isalpha(static_cast<unsigned char>(path[0])) && path[1] == ':' &&
         path[2] == '/';
}

bool file_exists(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// The file to run for `path`: itself, or without ".exe" when only that exists.
std::optional<fs::path> existing_program(const fs::path& path) {
  if (file_exists(path)) return path;
  if (iequals(path.extension().string(), ".exe")) {
    fs::path stripped = fs::path(path).replace_extension();
    if (file_exists(stripped)) return stripped;
  }
  return std::nullopt;
}

bool starts_with_relative_dir(std::string_view word) {
  return word.starts_with(".\\") || word.starts_with("..\\");
}

}  // namespace

std::string to_posix(std::string_view path) {
  std::string posix(path);
  std::replace(posix.begin(), posix.end(), '\\', '/');
  // "\\?\" only lifts Windows' MAX_PATH limit; it names no folder.
  if (posix.starts_with("//?/")) posix.erase(0, 4);
  return posix;
}

fs::path resolve_path(std::string_view path, const fs::path& app_path) {
  if (path.empty()) return {};
  fs::path posix = to_posix(path);
  if (posix.is_relative()) posix = app_path / posix;
  return posix.lexically_normal();
}

std::string resolve_process_path(std::string_view path, const fs::path& app_path) {
  std::string posix = to_posix(path);
  if (is_dotnet_name(posix)) return "dotnet";
  if (is_windows_drive_path(posix) && is_dotnet_name(fs::path(posix).filename().string())) {
    return "dotnet";
  }
  if (posix.find('/') == std::string::npos) {
    if (auto local = existing_program(app_path / posix)) return local->lexically_normal().string();
    return posix;
  }
  fs::path resolved = resolve_path(posix, app_path);
  return existing_program(resolved).value_or(resolved).string();
}

std::string translate_arguments(std::string_view arguments) {
  std::string out(arguments);
  std::size_t i = 0;
  while (i < out.size()) {
    if (std::isspace(static_cast<unsigned char>(out[i]))) {
      ++i;
      continue;
    }
    std::size_t start = i;
    std::size_t end;
    if (out[i] == '"') {
      std::size_t close = out.find('"', i + 1);
      end = close == std::string::npos ? out.size() : close + 1;
      ++start;  // look inside the quotes
    } else {
      end = i;
      while (end < out.size() && !std::isspace(static_cast<unsigned char>(out[end]))) ++end;
    }
    if (starts_with_relative_dir(std::string_view(out).substr(start, end - start))) {
      std::replace(out.begin() + static_cast<std::ptrdiff_t>(start),
                   out.begin() + static_cast<std::ptrdiff_t>(end), '\\', '/');
    }
    i = end;
  }
  return out;
}

}  // namespace ancm::config::detail
