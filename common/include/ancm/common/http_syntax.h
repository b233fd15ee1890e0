// The character classes and list syntax of RFC 9110 §5.6, for every piece
// of the host that reads HTTP (front end, response head, proxy).
#pragma once

#include <string_view>

namespace ancm::common {

// tchar: the characters of a token (method, field name, coding).
constexpr bool is_token_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

constexpr bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_token_char(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// field-vchar / obs-text / SP / HTAB: what a field value may hold.
constexpr bool is_field_value_char(unsigned char c) {
  return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// True for "" too: callers that need a number check for empty themselves.
constexpr bool all_digits(std::string_view text) {
  for (char c : text) {
    if (!is_digit(c)) return false;
  }
  return true;
}

constexpr bool is_whitespace(char c) { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && is_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

// Calls visit(element) for each element of a comma-separated list, trimmed,
// skipping empty ones (RFC 9110 §5.6.1); stops early when visit returns false.
template <class Visit>
void for_each_list_element(std::string_view list, Visit&& visit) {
  while (true) {
    auto comma = list.find(',');
    auto element = trim_whitespace(list.substr(0, comma));
    if (!element.empty() && !visit(element)) return;
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace ancm::common
