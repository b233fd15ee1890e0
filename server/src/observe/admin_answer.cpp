#include "observe/admin_answer.h"

namespace ancm::server {

bool is_healthy(shim::AppState state) {
  return state == shim::AppState::running || state == shim::AppState::starting;
}

AdminAnswer admin_answer(std::string_view method, std::string_view target,
                         const AdminSources& sources) {
  AdminAnswer answer;
  auto path = target.substr(0, target.find('?'));
  bool known = path == "/metrics" || path == "/healthz";
  if (!known) {
    answer.body = "not found\n";
    return answer;
  }
  if (method != "GET" && method != "HEAD") {
    answer.status = 405;
    answer.allow_header = true;
    answer.body = "method not allowed\n";
    return answer;
  }
  if (path == "/metrics") {
    answer.status = 200;
    answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
    answer.body = sources.metrics ? sources.metrics() : std::string();
    return answer;
  }
  auto state = sources.app_state ? sources.app_state() : shim::AppState::starting;
  answer.status = is_healthy(state) ? 200 : 503;
  answer.body = std::string(shim::to_string(state)) + '\n';
  return answer;
}

}  // namespace ancm::server
