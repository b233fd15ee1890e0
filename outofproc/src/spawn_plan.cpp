#include "spawn_plan.h"

#include "ancm/common/command_line_split.h"
#include "environment_block.h"
#include "port_picker.h"
#include "random_token.h"

namespace ancm::outofproc {
namespace {

common::Failed<common::PageFailure> failure(const Settings& settings, const std::string& why) {
  return common::fail(process_not_started(settings.process_path, why));
}

}  // namespace

common::Result<SpawnSpec, common::PageFailure> plan_spawn(
    const Settings& settings, std::size_t slot, const std::set<std::uint16_t>& ports_in_use,
    const EnvGetter& env) {
  SpawnSpec spec;
  spec.shown_path = settings.process_path;
  spec.working_directory = settings.app_path;
  spec.redirect_output = settings.console_redirection;
  spec.batch_scheduling = settings.batch_scheduling;

  auto executable = find_executable(settings.process_path, settings.app_path, env);
  if (!executable.ok()) return failure(settings, executable.error());
  spec.executable = executable.value();

  auto words = common::split_command_line(settings.arguments);
  if (!words.ok()) return failure(settings, words.error());
  spec.arguments = std::move(words).value();

  auto requested = user_port(settings.environment);
  if (!requested.ok()) return failure(settings, requested.error());
  auto fixed = requested.value();
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
