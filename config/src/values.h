// The setting-text parsers config/ validates web.config with: common's
// (setting_text.h), which the handler libraries read the resolved settings
// with too, so both apply one set of rules.
#pragma once

#include "ancm/common/ascii.h"
#include "ancm/common/result.h"
#include "ancm/common/setting_text.h"

namespace ancm::config::detail {

using common::format_timespan;
using common::iequals;
using common::parse_bool;
using common::parse_byte_count;
using common::parse_integer;
using common::parse_timespan;
using common::Result;

}  // namespace ancm::config::detail
