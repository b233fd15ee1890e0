#include "ancm/config/load.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "attributes.h"
#include "diagnostics.h"
#include "environment_variables.h"
#include "handler_settings.h"
#include "request_limits.h"
#include "target_mistakes.h"
#include "values.h"
#include "xml_reader.h"

namespace fs = std::filesystem;

namespace ancm::config {
namespace {

LoadResult failure(const fs::path& file, std::string message) {
  return LoadResult{std::nullopt, {ConfigError{file, 0, "", std::move(message)}}};
}

fs::path absolute_path(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  return (ec ? path : absolute).lexically_normal();
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

fs::path web_config_path(const fs::path& target) {
  std::error_code ec;
  if (!fs::is_directory(target, ec)) return target;
  fs::path exact = target / "web.config";
  if (fs::exists(exact, ec)) return exact;
  // Published on Windows and copied over, the file may be "Web.config".
  for (const fs::directory_entry& entry : fs::directory_iterator(target, ec)) {
    if (detail::iequals(entry.path().filename().string(), "web.config")) return entry.path();
  }
  return exact;
}

LoadResult load_config(const fs::path& target, const EnvLookup& env) {
  fs::path path = absolute_path(web_config_path(target));
  if (auto mistake = target_mistake(target)) return failure(path, *mistake);
  std::error_code ec;
  if (!fs::exists(path, ec)) return failure(path, "cannot read web.config: no such file");
  if (!fs::is_regular_file(path, ec)) return failure(path, "cannot read web.config: not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure(path, std::string("cannot read web.config: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, env);
}

LoadResult parse_config(const std::string& xml, const fs::path& file, const EnvLookup& env) {
  fs::path config_path = absolute_path(file);
  detail::ErrorSink errors(config_path);
  std::optional<detail::RawSection> section = detail::read_section(xml, errors);
  if (!section) return LoadResult{std::nullopt, errors.take()};

  AppConfig config;
  config.config_path = config_path;
  config.app_path = config_path.parent_path();
  detail::apply_attributes(*section, env, config, errors);
  detail::apply_handler_settings(section->handler_settings, config, errors);
  detail::apply_request_limits(section->request_limits, config, errors);
  detail::apply_environment_variables(section->environment_variables, env, config, errors);
  if (!errors.empty()) {
    // Checks run attribute by attribute; users read the file top to bottom.
    std::vector<ConfigError> found = errors.take();
    std::stable_sort(found.begin(), found.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    return LoadResult{std::nullopt, std::move(found)};
  }
  return LoadResult{std::move(config), {}};
}

}  // namespace ancm::config
