#include "settings.h"

#include <strings.h>

#include <charconv>
#include <map>

namespace ancm::inproc {
namespace {

std::string text(ancm_str s) { return std::string(s.data ? s.data : "", s.len); }

// The shim sends values already validated by config/; a malformed one here
// means the two disagree, which is reported rather than guessed around.
class Reader {
 public:
  explicit Reader(const ancm_app_params& params) {
    for (size_t i = 0; i < params.settings_count; ++i) {
      values_[text(params.settings[i].name)] = text(params.settings[i].value);
    }
  }
  std::string string(const std::string& name, std::string fallback = "") const {
    auto found = values_.find(name);
    return found == values_.end() ? fallback : found->second;
  }
  void number(const std::string& name, long long& out) {
    auto found = values_.find(name);
    if (found == values_.end()) return;
    const auto& value = found->second;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (ec != std::errc{} || end != value.data() + value.size()) fail(name, value);
  }
  void boolean(const std::string& name, bool& out) {
    auto found = values_.find(name);
    if (found == values_.end()) return;
    if (::strcasecmp(found->second.c_str(), "true") == 0) {
      out = true;
    } else if (::strcasecmp(found->second.c_str(), "false") == 0) {
      out = false;
    } else {
      fail(name, found->second);
    }
  }
  const std::string& error() const { return error_; }

 private:
  void fail(const std::string& name, const std::string& value) {
    if (error_.empty()) error_ = "setting " + name + " has an unexpected value '" + value + "'";
  }
  std::map<std::string, std::string> values_;
  std::string error_;
};

}  // namespace

std::variant<Settings, std::string> Settings::from_params(const ancm_app_params& params) {
  Reader reader(params);
  Settings settings;
  settings.app_path = text(params.app_path);
  settings.process_path = reader.string("processPath");
  settings.arguments = reader.string("arguments");
  long long startup = 120, shutdown = 10, stack = 1024 * 1024, delay = 0;
  reader.number("startupTimeLimit", startup);
  reader.number("shutdownTimeLimit", shutdown);
  reader.number("handlerSetting:stackSize", stack);
  reader.number("handlerSetting:shutdownDelay", delay);
  settings.startup_time_limit = std::chrono::seconds(startup);
  settings.shutdown_time_limit = std::chrono::seconds(shutdown);
  settings.stack_size = static_cast<std::size_t>(stack);
  settings.shutdown_delay = std::chrono::milliseconds(delay);
  reader.boolean("stdoutLogEnabled", settings.stdout_log_enabled);
  settings.stdout_log_file = reader.string("stdoutLogFile");
  reader.boolean("handlerSetting:callStartupHook", settings.call_startup_hook);
  reader.boolean("handlerSetting:setCurrentDirectory", settings.set_current_directory);
  for (size_t i = 0; i < params.environment_count; ++i) {
    settings.environment.emplace_back(text(params.environment[i].name),
                                      text(params.environment[i].value));
  }
  if (!reader.error().empty()) return reader.error();
  if (settings.process_path.empty()) return std::string("processPath is empty");
  return settings;
}

}  // namespace ancm::inproc
