// The aspNetCore element's attributes: defaults, ranges, and how each value
// is read, expanded and translated into AppConfig.
#pragma once

#include "ancm/config/app_config.h"
#include "ancm/config/load.h"
#include "diagnostics.h"
#include "xml_reader.h"

namespace ancm::config::detail {

// Fills the attribute fields of `config` (whose app_path is set) and appends
// one ResolvedSetting per attribute. Bad values are reported to `errors`.
void apply_attributes(const RawSection& section, const EnvLookup& env, AppConfig& config,
                      ErrorSink& errors);

}  // namespace ancm::config::detail
