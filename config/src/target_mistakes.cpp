#include "target_mistakes.h"

#include <fstream>
#include <system_error>

#include "ancm/common/ascii.h"

namespace fs = std::filesystem;

namespace ancm::config {
namespace {

constexpr const char* kPublishHint =
    "ancm-host serves what `dotnet publish` writes: give it that folder or its web.config";

bool has_extension(const fs::path& path, std::string_view extension) {
  return common::iequals(path.extension().string(), extension);
}

// The first file in `dir` whose name ends with one of the endings, if any.
std::optional<fs::path> first_ending_with(const fs::path& dir,
                                          std::initializer_list<std::string_view> endings) {
  std::error_code ec;
  // Incremented by hand: the range-for's ++ throws on a read error.
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    for (auto ending : endings) {
      if (name.size() > ending.size() &&
          common::iequals(std::string_view(name).substr(name.size() - ending.size()), ending)) {
        return it->path();
      }
    }
  }
  return std::nullopt;
}

// XML starts with '<' (after a UTF-8 byte order mark and white space). A
// UTF-16 or UTF-32 file (a byte order mark, or NULs beside the '<': what
// Windows PowerShell 5 writes) is left to the XML reader, which decodes it.
bool starts_like_xml(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char c = 0;
  int bom = 0;
  while (in.get(c)) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte == 0xFF || byte == 0xFE || byte == 0) return true;
    if (bom < 3 && (byte == 0xEF || byte == 0xBB || byte == 0xBF)) {
      ++bom;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '<';
  }
  return true;  // empty or unreadable: the reader says which
}

std::optional<std::string> file_mistake(const fs::path& file) {
  if (has_extension(file, ".dll") || has_extension(file, ".exe")) {
    return std::string("this is the application's assembly, not its web.config; ") + kPublishHint +
           " (here: ancm-host run " +
           (file.has_parent_path() ? file.parent_path().string() : std::string(".")) + ")";
  }
  if (has_extension(file, ".csproj") || has_extension(file, ".fsproj") ||
      has_extension(file, ".vbproj")) {
    return "this is a project file, not a web.config; publish it first (dotnet publish -c "
           "Release -o out), then: ancm-host run out";
  }
  if (!starts_like_xml(file)) {
    return std::string("this is not XML, so not a web.config; ") + kPublishHint;
  }
  return std::nullopt;
}

std::optional<std::string> folder_mistake(const fs::path& dir) {
  std::string missing = "no such file: ";
  if (auto project = first_ending_with(dir, {".csproj", ".fsproj", ".vbproj"})) {
    return missing + "the folder looks like the source of " + project->filename().string() +
           "; publish it first (dotnet publish -c Release -o out), then: ancm-host run out";
  }
  if (first_ending_with(dir, {".runtimeconfig.json"})) {
    return missing +
           "the app looks published without one (IsTransformWebConfigDisabled?); publish "
           "with the web.config the ASP.NET Core SDK writes, or write one beside the app";
  }
  return missing + kPublishHint;
}

}  // namespace

std::optional<std::string> target_mistake(const fs::path& target) {
  std::error_code ec;
  if (fs::is_regular_file(target, ec)) return file_mistake(target);
  if (!fs::is_directory(target, ec)) return std::nullopt;
  for (fs::directory_iterator it(target, ec), end; !ec && it != end; it.increment(ec)) {
    if (common::iequals(it->path().filename().string(), "web.config")) return std::nullopt;
  }
  return folder_mistake(target);
}

}  // namespace ancm::config
