// Everything decided before a child is forked: the file to run, its argv,
// its port, token and environment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>

#include "child_process.h"
#include "executable_lookup.h"
#include "outofproc_settings.h"
#include "process_manager.h"

namespace ancm::outofproc {

// `slot` is the child's place among processesPerApplication: a web.config
// ASPNETCORE_PORT is used by slot 0 only, the others get random ports not in
// `ports_in_use`. Failures are one-line 502.5 pages naming processPath.
common::Result<SpawnSpec, common::PageFailure> plan_spawn(
    const Settings& settings, std::size_t slot, const std::set<std::uint16_t>& ports_in_use,
    const EnvGetter& env = process_env_getter());

}  // namespace ancm::outofproc
