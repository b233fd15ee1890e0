#include "environment_variables.h"

#include <algorithm>

#include "expand.h"

namespace ancm::config::detail {

void apply_environment_variables(const std::vector<RawEntry>& entries, const EnvLookup& env,
                                 AppConfig& config, ErrorSink& errors) {
  auto& variables = config.environment_variables;
  for (const RawEntry& entry : entries) {
    if (entry.kind == RawEntry::Kind::Clear) {
      variables.clear();
      continue;
    }
    if (!entry.name || entry.name->empty()) {
      errors.add(entry.line, "name",
                 "environmentVariable needs a non-empty name, e.g. "
                 "<environmentVariable name=\"ASPNETCORE_ENVIRONMENT\" value=\"Production\" />");
      continue;
    }
    const std::string& name = *entry.name;
    auto existing = std::find_if(variables.begin(), variables.end(),
                                 [&](const auto& variable) { return variable.first == name; });
    if (entry.kind == RawEntry::Kind::Remove) {
      if (existing != variables.end()) variables.erase(existing);
      continue;
    }
    std::string value = expand_variables(entry.value, env);
    if (existing != variables.end()) {
      existing->second = std::move(value);
    } else {
      variables.emplace_back(name, std::move(value));
    }
  }
}

}  // namespace ancm::config::detail
