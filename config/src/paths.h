// Windows spellings in web.config -> POSIX paths under the app folder.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace ancm::config::detail {

// Strips a "\\?\" prefix and turns every '\' into '/'.
std::string to_posix(std::string_view path);

// to_posix, then made absolute against app_path (the web.config's folder)
// and lexically normalized. Empty stays empty.
std::filesystem::path resolve_path(std::string_view path, const std::filesystem::path& app_path);

// processPath: "dotnet"/"dotnet.exe" (any case, or a Windows path to it) is
// the dotnet muxer, returned as "dotnet". A bare name is looked for in the app
// folder, as ANCM does, and otherwise left for a PATH search. Anything else
// is resolved against the app folder. "X.exe" that does not exist while "X"
// does becomes "X": self-contained apps lose the extension on Linux.
std::string resolve_process_path(std::string_view path, const std::filesystem::path& app_path);

// arguments: the text is kept, except that words starting with ".\" or
// "..\" (optionally quoted) get '/' for '\': ".\Hello.dll" -> "./Hello.dll".
// Other words may be anything (URLs, regexes), so they are left alone.
std::string translate_arguments(std::string_view arguments);

}  // namespace ancm::config::detail
