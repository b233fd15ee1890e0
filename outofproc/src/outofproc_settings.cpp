#include "outofproc_settings.h"

namespace ancm::outofproc {

common::Result<Settings> read_settings(const ancm_app_params& params) {
  auto read = common::read_resolved_settings(params, common::ModuleHosting::OutOfProcess);
  if (!read.ok()) return read;
  Settings settings = std::move(read).value();
  if (settings.process_path.find_first_not_of(" \t") == std::string::npos) {
    return common::fail("setting processPath: is empty; the program that starts the app is needed");
  }
  if (!settings.stdout_log_file.empty() && settings.stdout_log_file.is_relative() &&
      !settings.app_path.empty()) {
    settings.stdout_log_file = (settings.app_path / settings.stdout_log_file).lexically_normal();
  }
  if (settings.stdout_log_file.empty()) {
    settings.stdout_log_file = settings.app_path / "aspnetcore-stdout";
  }
  return settings;
}

}  // namespace ancm::outofproc
