// The environment a child process starts with.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ancm::outofproc {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// What the manager adds for one child.
struct ChildVariables {
  std::uint16_t port = 0;       // ASPNETCORE_PORT
  std::string path_base = "/";  // ASPNETCORE_APPL_PATH
  std::string token;            // ASPNETCORE_TOKEN
  std::string app_path;         // ASPNETCORE_IIS_PHYSICAL_PATH
};

// The inherited environment (`environ` as NAME=VALUE entries), then the
// web.config variables (later entries win among them; they override
// inherited values unless the inherited ANCM_PREFER_ENVIRONMENT_VARIABLES is
// "true" in any case, then inherited values win for names in both), then
// ASPNETCORE_PORT, ASPNETCORE_APPL_PATH, ASPNETCORE_TOKEN and ANCM's own
// out-of-process variables (common::module_variables: the physical path,
// ASPNETCORE_IIS_HTTPAUTH=anonymous;, websockets, IISIntegration appended to
// ASPNETCORE_HOSTINGSTARTUPASSEMBLIES), which always win. Inherited
// ASPNETCORE_PORT / ASPNETCORE_TOKEN (the worker's own) never reach the
// child. Names are case-sensitive. Returns NAME=VALUE entries.
std::vector<std::string> build_environment(const std::vector<std::string>& inherited,
                                           const EnvVars& web_config, const ChildVariables& child);

// The calling process's environment as NAME=VALUE entries.
std::vector<std::string> current_environment();

}  // namespace ancm::outofproc
