#include "ancm/common/command_line_split.h"

#include <optional>

namespace ancm::common {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Characters a backslash escapes inside double quotes (POSIX shell rules).
bool escapable_in_double_quotes(char c) {
  return c == '\\' || c == '"' || c == '$' || c == '`' || c == '\n';
}

}  // namespace

Result<std::vector<std::string>> split_command_line(std::string_view text) {
  std::vector<std::string> words;
  std::optional<std::string> word;  // set once a word has started, even if empty ("")
  std::size_t i = 0;
  auto unterminated = [&](char quote, std::size_t at) {
    return fail(std::string("unterminated ") + quote + " quote starting at character " +
                std::to_string(at + 1) + " of arguments '" + std::string(text) + "'");
  };
  while (i < text.size()) {
    char c = text[i];
    if (is_blank(c)) {
      if (word) words.push_back(std::move(*word));
      word.reset();
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < text.size() && text[i + 1] == '\n') {
      i += 2;  // a line continuation, removed before words are split
      continue;
    }
    if (!word) word.emplace();
    if (c == '\'') {
      std::size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) return unterminated('\'', i);
      word->append(text.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      std::size_t start = i++;
      while (true) {
        if (i >= text.size()) return unterminated('"', start);
        char q = text[i];
        if (q == '"') break;
        if (q == '\\' && i + 1 < text.size() && escapable_in_double_quotes(text[i + 1])) {
          if (text[i + 1] != '\n') word->push_back(text[i + 1]);  // \<newline> joins lines
          i += 2;
          continue;
        }
        word->push_back(q);
        ++i;
      }
      ++i;  // the closing quote
    } else if (c == '\\') {
      if (i + 1 >= text.size()) {
        return fail("arguments '" + std::string(text) + "' end with a lone backslash");
      }
      word->push_back(text[i + 1]);
      i += 2;
    } else {
      word->push_back(c);
      ++i;
    }
  }
  if (word) words.push_back(std::move(*word));
  return words;
}

}  // namespace ancm::common
