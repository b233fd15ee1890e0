#include "environment_block.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "ancm/common/module_environment.h"

extern char** environ;

namespace ancm::outofproc {
namespace {

constexpr std::string_view kPreferEnvironment = "ANCM_PREFER_ENVIRONMENT_VARIABLES";

bool is_true(std::string_view text) {
  return text.size() == 4 && std::equal(text.begin(), text.end(), "true", [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Set by the manager for each child; a stale inherited value would mislead it.
bool is_per_child_variable(std::string_view name) {
  return name == "ASPNETCORE_PORT" || name == "ASPNETCORE_TOKEN";
}

}  // namespace

std::vector<std::string> build_environment(const std::vector<std::string>& inherited,
                                           const EnvVars& web_config, const ChildVariables& child) {
  // Insertion order is kept so the child sees a stable, readable environment.
  std::vector<std::string> order;
  std::map<std::string, std::string, std::less<>> values;
  auto set = [&](const std::string& name, std::string value) {
    auto [it, inserted] = values.insert_or_assign(name, std::move(value));
    if (inserted) order.push_back(name);
  };

  bool prefer_inherited = false;
  std::optional<std::string> inherited_hosting_startup;
  for (const std::string& entry : inherited) {
    std::size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = entry.substr(0, eq);
    if (name == kPreferEnvironment) prefer_inherited = is_true(entry.substr(eq + 1));
    if (is_per_child_variable(name)) continue;
    if (name == common::kHostingStartupVariable) inherited_hosting_startup = entry.substr(eq + 1);
    set(name, entry.substr(eq + 1));
  }
  const std::set<std::string, std::less<>> inherited_names(order.begin(), order.end());
  for (const auto& [name, value] : web_config) {
    if (name.empty() || name.find('=') != std::string::npos) continue;
    if (prefer_inherited && inherited_names.count(name) != 0) continue;
    set(name, value);
  }

  set("ASPNETCORE_PORT", std::to_string(child.port));
  set("ASPNETCORE_APPL_PATH", child.path_base.empty() ? "/" : child.path_base);
  set("ASPNETCORE_TOKEN", child.token);
  for (auto& [name, value] :
       common::module_variables(common::ModuleHosting::OutOfProcess, child.app_path, web_config,
                                inherited_hosting_startup)) {
    set(name, std::move(value));
  }

  std::vector<std::string> block;
  block.reserve(order.size());
  for (const std::string& name : order) block.push_back(name + "=" + values.find(name)->second);
  return block;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> entries;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    entries.emplace_back(*entry);
  }
  return entries;
}

}  // namespace ancm::outofproc
