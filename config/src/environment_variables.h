// environmentVariables/environmentVariable{name,value} -> AppConfig.
#pragma once

#include <vector>

#include "ancm/config/app_config.h"
#include "ancm/config/load.h"
#include "diagnostics.h"
#include "xml_reader.h"

namespace ancm::config::detail {

// Names are case-sensitive (Linux). A later entry for a name replaces the
// value but keeps the first entry's place; <remove name> and <clear/> work
// as in any IIS collection. Values get %VAR% expansion.
void apply_environment_variables(const std::vector<RawEntry>& entries, const EnvLookup& env,
                                 AppConfig& config, ErrorSink& errors);

}  // namespace ancm::config::detail
