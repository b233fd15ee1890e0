// C++ views of the ABI's string spans (ancm_str), for the server, the shim and
// the handler libraries alike. C++ only; the ABI itself stays plain C.
#pragma once

#include <string>
#include <string_view>

#include "ancm/handler_abi.h"

namespace ancm::abi {

// A span's text; a null span (data == NULL) is empty.
inline std::string_view view(ancm_str s) { return {s.data ? s.data : "", s.data ? s.len : 0}; }

inline std::string to_string(ancm_str s) { return std::string(view(s)); }

// A span over `text`, valid as long as `text` is.
inline ancm_str str(std::string_view text) { return {text.data(), text.size()}; }

}  // namespace ancm::abi
