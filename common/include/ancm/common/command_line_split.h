// Splits the `arguments` attribute into argv words the way a POSIX shell
// does, without expansion of any kind.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ancm/common/result.h"

namespace ancm::common {

// Words are separated by unquoted blanks. '...' keeps everything literally;
// "..." keeps everything but lets \ escape \ " $ ` and a newline; outside
// quotes \ escapes any character. `./Hello.dll --urls "a b"` gives
// {"./Hello.dll", "--urls", "a b"}; '' and "" give an empty word.
// Returns an error message for an unterminated quote or a trailing \.
Result<std::vector<std::string>> split_command_line(std::string_view text);

}  // namespace ancm::common
