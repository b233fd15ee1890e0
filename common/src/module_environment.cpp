#include "ancm/common/module_environment.h"

#include <algorithm>

#include "ancm/common/ascii.h"
#include "ancm/common/http_syntax.h"

namespace ancm::common {
namespace {

bool lists(std::string_view list, std::string_view assembly) {
  while (!list.empty()) {
    auto end = list.find(';');
    if (iequals(trim_whitespace(list.substr(0, end)), assembly)) return true;
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return false;
}

}  // namespace

std::string append_hosting_startup(std::string_view list, std::string_view assembly) {
  std::string result(list);
  if (lists(list, assembly)) return result;
  if (!trim_whitespace(list).empty() && result.back() != ';') result += ';';
  result += assembly;
  return result;
}

EnvPairs module_variables(ModuleHosting hosting, std::string_view app_path,
                          const EnvPairs& web_config,
                          std::optional<std::string_view> inherited_hosting_startup) {
  std::string physical_path(app_path);
  if (physical_path.empty() || physical_path.back() != '/') physical_path += '/';
  EnvPairs variables{{"ASPNETCORE_IIS_PHYSICAL_PATH", std::move(physical_path)},
                     {"ASPNETCORE_IIS_HTTPAUTH", "anonymous;"}};
  if (hosting == ModuleHosting::InProcess) return variables;

  variables.emplace_back("ASPNETCORE_IIS_WEBSOCKETS_SUPPORTED", "true");
  bool named_by_web_config = std::any_of(web_config.begin(), web_config.end(), [](const auto& v) {
    return v.first == kHostingStartupVariable;
  });
  if (!named_by_web_config) {
    variables.emplace_back(
        std::string(kHostingStartupVariable),
        append_hosting_startup(inherited_hosting_startup.value_or(""), kIisIntegrationAssembly));
  }
  return variables;
}

}  // namespace ancm::common
