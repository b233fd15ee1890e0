// What the admin listener (--admin-listen) answers, as data: /metrics and
// /healthz to GET and HEAD, 405 to other methods, 404 to anything else.
// No I/O (unit-tested in admin_answer_test); admin_server.* does the I/O.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "ancm/shim/app_state.h"

namespace ancm::server {

struct AdminAnswer {
  int status = 404;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  bool allow_header = false;  // 405: "Allow: GET, HEAD"
};

// What a request needs, read only when the path asks for it.
struct AdminSources {
  std::function<std::string()> metrics;  // the exposition text
  std::function<shim::AppState()> app_state;
};

// /healthz: 200 while the app serves or will start at the next request;
// 503 while app_offline.htm is there, after a start-up failure (500.30,
// 502.5, ...) and while web.config is invalid. The body names the state.
bool is_healthy(shim::AppState state);

AdminAnswer admin_answer(std::string_view method, std::string_view target,
                         const AdminSources& sources);

}  // namespace ancm::server
