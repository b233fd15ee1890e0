#include "environment_variables.h"

#include <algorithm>
#include <string>
#include <utility>

#include "collection.h"
#include "expand.h"

namespace ancm::config::detail {
namespace {

// AppConfig::environment_variables as a web.config collection.
class EnvironmentVariables {
 public:
  using Variables = std::vector<std::pair<std::string, std::string>>;

  EnvironmentVariables(Variables& variables, const EnvLookup& env)
      : variables_(variables), env_(env) {}

  void clear() { variables_.clear(); }

  void remove(const std::string& name) {
    if (auto existing = find(name); existing != variables_.end()) variables_.erase(existing);
  }

  void add(const RawEntry& entry) {
    std::string value = expand_variables(entry.value, env_);
    if (auto existing = find(*entry.name); existing != variables_.end()) {
      existing->second = std::move(value);
    } else {
      variables_.emplace_back(*entry.name, std::move(value));
    }
  }

 private:
  Variables::iterator find(const std::string& name) {
    return std::find_if(variables_.begin(), variables_.end(),
                        [&](const auto& variable) { return variable.first == name; });
  }

  Variables& variables_;
  const EnvLookup& env_;
};

}  // namespace

void apply_environment_variables(const std::vector<RawEntry>& entries, const EnvLookup& env,
                                 AppConfig& config, ErrorSink& errors) {
  EnvironmentVariables variables(config.environment_variables, env);
  apply_collection(entries, variables,
                   "environmentVariable needs a non-empty name, e.g. "
                   "<environmentVariable name=\"ASPNETCORE_ENVIRONMENT\" value=\"Production\" />",
                   errors);
}

}  // namespace ancm::config::detail
