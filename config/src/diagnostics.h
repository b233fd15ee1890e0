// Collects the errors of one web.config so that every check can report and
// carry on: users fix all their mistakes in one round, not one per run.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "ancm/config/load.h"

namespace ancm::config::detail {

class ErrorSink {
 public:
  explicit ErrorSink(std::filesystem::path file) : file_(std::move(file)) {}

  void add(int line, std::string attribute, std::string message) {
    errors_.push_back(ConfigError{file_, line, std::move(attribute), std::move(message)});
  }
  const std::filesystem::path& file() const { return file_; }
  bool empty() const { return errors_.empty(); }
  std::vector<ConfigError> take() { return std::move(errors_); }

 private:
  std::filesystem::path file_;
  std::vector<ConfigError> errors_;
};

}  // namespace ancm::config::detail
