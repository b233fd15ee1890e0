// web.config text as UTF-8, whatever Unicode encoding it was saved in, so the
// reader's byte offsets, line numbers and attribute positions all refer to one
// buffer. (pugixml decodes UTF-16 and UTF-32 itself, but its offsets then
// point into its own converted copy, which the caller never sees.)
#pragma once

#include <string>
#include <string_view>

namespace ancm::config::detail {

// UTF-16 or UTF-32 (either byte order, with a byte order mark, or without one
// when the text starts with '<' as XML does: what Windows PowerShell 5
// writes) becomes UTF-8 without a byte order mark; an invalid sequence becomes
// U+FFFD. Anything else is returned as it is (UTF-8, with or without its mark).
std::string utf8_text(std::string_view bytes);

}  // namespace ancm::config::detail
