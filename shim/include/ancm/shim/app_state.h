// What the shim's application is doing, as the admin listener's /healthz and
// ancm_app_state report it.
#pragma once

#include <array>

namespace ancm::shim {

// starting: no application yet (it starts at the first request or preload);
// running: created and not known to have failed; offline: app_offline.htm;
// failed: its start failed (a start-up error page such as 500.30 or 502.5,
// or a handler that cannot be loaded), until the configuration or the app
// changes; config_error: web.config is invalid (500.19).
enum class AppState { starting, running, offline, failed, config_error };
inline constexpr std::array<AppState, 5> kAppStates = {AppState::starting, AppState::running,
                                                       AppState::offline, AppState::failed,
                                                       AppState::config_error};

constexpr const char* to_string(AppState state) {
  switch (state) {
    case AppState::running:
      return "running";
    case AppState::offline:
      return "offline";
    case AppState::failed:
      return "failed";
    case AppState::config_error:
      return "config_error";
    case AppState::starting:
      break;
  }
  return "starting";
}

}  // namespace ancm::shim
