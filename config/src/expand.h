// %VAR% expansion, as Windows' ExpandEnvironmentStrings does it for ANCM.
#pragma once

#include <string>
#include <string_view>

#include "ancm/config/load.h"

namespace ancm::config::detail {

// Replaces each %NAME% whose NAME the lookup defines. An undefined name is
// left exactly as written ("%NOPE%" stays "%NOPE%"), and so is "%%".
// Windows names are case-insensitive and Linux ones are not, so a name that
// is not defined as written is tried once more in upper case: the Azure
// publish profile's "%home%" finds HOME.
std::string expand_variables(std::string_view text, const EnvLookup& env);

}  // namespace ancm::config::detail
