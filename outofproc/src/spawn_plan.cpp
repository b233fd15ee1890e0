#include "spawn_plan.h"

#include "ancm/common/command_line_split.h"
#include "environment_block.h"
#include "port_picker.h"
#include "random_token.h"

namespace ancm::outofproc {
namespace {

StartFailure failure(const Settings& settings, const std::string& why) {
  return StartFailure{"could not start process '" + settings.process_path + "': " + why, {}};
}

}  // namespace

std::variant<SpawnSpec, StartFailure> plan_spawn(const Settings& settings, std::size_t slot,
                                                 const std::set<std::uint16_t>& ports_in_use,
                                                 const EnvGetter& env) {
  SpawnSpec spec;
  spec.shown_path = settings.process_path;
  spec.working_directory = settings.app_path;
  spec.redirect_output = settings.console_redirection;

  auto executable = find_executable(settings.process_path, settings.app_path, env);
  if (auto* error = std::get_if<std::string>(&executable)) return failure(settings, *error);
  spec.executable = std::get<std::filesystem::path>(executable);

  auto words = common::split_command_line(settings.arguments);
  if (auto* error = std::get_if<std::string>(&words)) return failure(settings, *error);
  spec.arguments = std::get<std::vector<std::string>>(std::move(words));

  auto requested = user_port(settings.environment);
  if (auto* error = std::get_if<std::string>(&requested)) return failure(settings, *error);
  auto fixed = std::get<std::optional<std::uint16_t>>(requested);
  if (fixed && slot == 0) {
    spec.port = *fixed;
  } else {
    std::set<std::uint16_t> taken = ports_in_use;
    if (fixed) taken.insert(*fixed);
    auto port = pick_random_port(taken);
    if (!port) return failure(settings, "no free port found in 10000-48000");
    spec.port = *port;
  }

  spec.token = new_random_token();
  spec.environment = build_environment(
      current_environment(), settings.environment,
      ChildVariables{spec.port, settings.path_base, spec.token, settings.app_path.string()});
  return spec;
}

}  // namespace ancm::outofproc
