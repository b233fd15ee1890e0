#include "expand.h"

#include <algorithm>
#include <cctype>

namespace ancm::config::detail {
namespace {

std::optional<std::string> lookup(const std::string& name, const EnvLookup& env) {
  if (auto value = env(name)) return value;
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper != name) return env(upper);
  return std::nullopt;
}

}  // namespace

std::string expand_variables(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t open = text.find('%', pos);
    if (open == std::string_view::npos) break;
    std::size_t close = text.find('%', open + 1);
    if (close == std::string_view::npos) break;
    out.append(text, pos, open - pos);
    std::string name(text.substr(open + 1, close - open - 1));
    std::optional<std::string> value = name.empty() ? std::nullopt : lookup(name, env);
    if (value) {
      out += *value;
      pos = close + 1;
    } else {
      // Keep "%NAME" and let the closing '%' start the next candidate, as
      // Windows does: "%NOPE%HOME%" still expands HOME.
      out.append(text, open, close - open);
      pos = close;
    }
  }
  out.append(text, pos, std::string_view::npos);
  return out;
}

}  // namespace ancm::config::detail
