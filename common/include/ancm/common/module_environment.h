// The variables ANCM itself puts in an application's environment, by hosting
// model (its ENVIRONMENT_VAR_HELPERS::InitEnvironmentVariablesTable), so the
// in-process and out-of-process handlers apply one rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ancm::common {

enum class ModuleHosting { InProcess, OutOfProcess };

using EnvPairs = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kHostingStartupVariable = "ASPNETCORE_HOSTINGSTARTUPASSEMBLIES";
inline constexpr std::string_view kIisIntegrationAssembly =
    "Microsoft.AspNetCore.Server.IISIntegration";

// What ANCM sets over web.config's variables, in this order:
// - ASPNETCORE_IIS_PHYSICAL_PATH: the app folder with a trailing '/' (ANCM
//   ends it with '\' on Windows);
// - ASPNETCORE_IIS_HTTPAUTH: "anonymous;" (the only authentication here);
// - out-of-process only: ASPNETCORE_IIS_WEBSOCKETS_SUPPORTED=true (upgrades
//   are proxied), and ASPNETCORE_HOSTINGSTARTUPASSEMBLIES as the inherited
//   value with IISIntegration appended (';'-separated, once) unless
//   web.config names the variable itself, whose value then stands as written.
// web_config is the app's environmentVariables; inherited_hosting_startup the
// process's own ASPNETCORE_HOSTINGSTARTUPASSEMBLIES, if set.
EnvPairs module_variables(ModuleHosting hosting, std::string_view app_path,
                          const EnvPairs& web_config,
                          std::optional<std::string_view> inherited_hosting_startup);

// `list` (';'-separated assembly names) with `assembly` appended unless it is
// already one of them.
std::string append_hosting_startup(std::string_view list, std::string_view assembly);

}  // namespace ancm::common
