#include "log_setup.h"

#include "ancm/common/logging.h"
#include "ancm/config/load.h"

namespace ancm::server {

void set_up_logging(const std::filesystem::path& target, std::string_view role) {
  auto loaded = config::load_config(target);
  std::string debug_level;
  std::filesystem::path debug_file;
  std::filesystem::path app_path = std::filesystem::absolute(target);
  if (loaded.ok()) {
    debug_level = loaded.config->handler.debug_level;
    debug_file = loaded.config->handler.debug_file;
    app_path = loaded.config->app_path;
  } else if (!std::filesystem::is_directory(app_path)) {
    app_path = app_path.parent_path();
  }
  common::configure_logging(common::resolve_log_settings(debug_level, debug_file, app_path), role);
}

}  // namespace ancm::server
