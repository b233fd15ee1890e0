// web.config text -> AppConfig or errors, as `ancm-host run` and `check` load
// it (ancm::config::parse_config, the in-memory half of load_config). Beyond
// "no crash, no sanitizer report", it checks what callers rely on: a config
// exactly when there are no errors, errors that point into the file, paths
// that are absolute, and the same answer twice (no hidden state).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "ancm/config/describe.h"
#include "ancm/config/load.h"

namespace {

namespace fs = std::filesystem;
using namespace ancm::config;

const fs::path kWebConfig = "/srv/fuzz-app/web.config";

// A fixed environment, so %VAR% expansion has something to expand (and the
// result does not depend on the machine that runs the fuzzer).
EnvLookup fixed_environment() {
  static const std::map<std::string, std::string> vars = {
      {"HOME", "/home/fuzz"}, {"TOOLS", "/opt/tools"}, {"EMPTY", ""},
      {"NESTED", "%HOME%"},   {"SPACES", " a b "},     {"DOTS", "..\\..\\x"},
  };
  return [](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

[[noreturn]] void violated(const char* what, const std::string& detail) {
  std::fprintf(stderr, "web_config_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Errors as one text, and the config as `check` prints it: what two parses of
// the same text must agree on.
std::string summary(const LoadResult& result) {
  std::string text;
  for (const ConfigError& error : result.errors) text += error.to_string() + "\n";
  if (result.config) text += describe(*result.config);
  return text;
}

void check_errors(const LoadResult& result, const std::string& xml) {
  int lines = static_cast<int>(std::count(xml.begin(), xml.end(), '\n')) + 1;
  for (const ConfigError& error : result.errors) {
    if (error.file != kWebConfig) violated("error names another file", error.to_string());
    if (error.line < 0 || error.line > lines)
      violated("error line outside the file", error.to_string());
    if (error.message.empty()) violated("error without a message", error.to_string());
  }
}

void check_config(const AppConfig& config) {
  if (config.config_path != kWebConfig) violated("config_path", config.config_path.string());
  if (config.app_path != kWebConfig.parent_path()) violated("app_path", config.app_path.string());
  if (config.process_path.empty()) violated("accepted an empty processPath", describe(config));
  for (const fs::path& path :
       {config.stdout_log_file, config.handler.debug_file, config.handler.shadow_copy_directory}) {
    if (!path.empty() && !path.is_absolute())
      violated("relative path in the config", path.string());
  }
  if (config.resolved.empty()) violated("no resolved settings", describe(config));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string xml(reinterpret_cast<const char*>(data), size);
  const EnvLookup env = fixed_environment();

  LoadResult result = parse_config(xml, kWebConfig, env);
  if (result.ok() != result.config.has_value()) {
    violated("config present exactly when there are no errors", summary(result));
  }
  check_errors(result, xml);
  if (result.config) check_config(*result.config);

  LoadResult again = parse_config(xml, kWebConfig, env);
  if (summary(again) != summary(result)) violated("two parses disagree", summary(result));
  return 0;
}
