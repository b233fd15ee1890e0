// Reading a web.config into an AppConfig, with errors that name the file,
// line, attribute and what is allowed.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ancm/config/app_config.h"

namespace ancm::config {

struct ConfigError {
  std::filesystem::path file;
  int line = 0;           // 1-based; 0 when not tied to a line
  std::string attribute;  // empty when not tied to an attribute
  std::string message;    // what is wrong and what is allowed

  // "<file>:<line>: attribute '<attr>': <message>"
  std::string to_string() const;
};

// Looks a variable up; nullopt when undefined. Defaults to the process env.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

struct LoadResult {
  std::optional<AppConfig> config;  // set when errors is empty
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
};

// target is a web.config file or the folder that holds one.
LoadResult load_config(const std::filesystem::path& target,
                       const EnvLookup& env = process_environment());

// Same, from text (for tests and fuzzing); file names the source in errors.
LoadResult parse_config(const std::string& xml, const std::filesystem::path& file,
                        const EnvLookup& env = process_environment());

// The target's web.config path: target itself, or target/web.config.
std::filesystem::path web_config_path(const std::filesystem::path& target);

}  // namespace ancm::config
