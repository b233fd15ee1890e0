// Where a child's stdout/stderr go: the stdout log file (when enabled) and
// the first 30,000 characters kept for the 502.5 page and the log.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "ancm/common/unique_fd.h"

namespace ancm::outofproc {

class ChildOutput {
 public:
  // Output also goes to `log` from now on; an invalid fd means memory only.
  void set_log(common::UniqueFd log) { log_ = std::move(log); }

  // Reads what `pipe` (non-blocking) has now. Returns false once the pipe
  // reached end-of-file (every writer closed it) or failed.
  bool drain(int pipe);

  void append(std::string_view bytes);

  // The first kMaxAppOutputChars characters, whole UTF-8 sequences only.
  std::string text() const;

 private:
  common::UniqueFd log_;
  std::string kept_;
  std::size_t kept_chars_ = 0;
};

}  // namespace ancm::outofproc
