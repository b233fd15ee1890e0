// One thing `ancm-host check` looked at: what it found there, or what is
// wrong, where, and what to do about it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ancm::tools {

struct CheckFinding {
  std::string subject;         // "processPath", "framework Microsoft.AspNetCore.App", …
  std::string detail;          // what was found, or what is wrong
  std::string fix;             // what to do; empty when nothing is wrong
  std::filesystem::path file;  // where the problem is written, if in a file
  int line = 0;                // 1-based; 0 when not tied to a line
  bool problem = false;

  static CheckFinding found(std::string subject, std::string detail) {
    return {std::move(subject), std::move(detail), "", {}, 0, false};
  }
  static CheckFinding wrong(std::string subject, std::string detail, std::string fix,
                            std::filesystem::path file = {}, int line = 0) {
    return {std::move(subject), std::move(detail), std::move(fix), std::move(file), line, true};
  }
};

using CheckFindings = std::vector<CheckFinding>;

}  // namespace ancm::tools
