// Turns processPath into the file to execute.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "ancm/common/result.h"

namespace ancm::outofproc {

// Reads a variable of the worker's environment (getenv by default).
using EnvGetter = std::function<std::optional<std::string>(const std::string& name)>;
EnvGetter process_env_getter();

// "dotnet" is the muxer: the first executable `dotnet` on PATH, then
// $DOTNET_ROOT/dotnet, /usr/share/dotnet/dotnet, /usr/lib/dotnet/dotnet.
// Other bare names are looked up on PATH; a name with a '/' is taken as is
// (relative to app_path when relative). Returns the absolute path, or an
// error naming what was looked for when it is missing or not executable.
common::Result<std::filesystem::path> find_executable(const std::string& process_path,
                                                      const std::filesystem::path& app_path,
                                                      const EnvGetter& env = process_env_getter());

}  // namespace ancm::outofproc
