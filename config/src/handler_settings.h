// handlerSettings/handlerSetting{name,value} -> AppConfig::handler_settings
// (as written) and AppConfig::handler (typed).
#pragma once

#include <vector>

#include "ancm/config/app_config.h"
#include "diagnostics.h"
#include "xml_reader.h"

namespace ancm::config::detail {

// Names are case-insensitive, as in ANCM; the last entry for a name wins.
// Unknown names are kept as written and otherwise ignored. Appends one
// ResolvedSetting "handlerSetting:<name>" per known setting.
void apply_handler_settings(const std::vector<RawEntry>& entries, AppConfig& config,
                            ErrorSink& errors);

}  // namespace ancm::config::detail
