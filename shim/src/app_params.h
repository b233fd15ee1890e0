// The parameter block a handler gets: the resolved configuration as C spans.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "ancm/config/app_config.h"
#include "ancm/handler_abi.h"

namespace ancm::shim {

class AppParams {
 public:
  AppParams(const config::AppConfig& config, const std::vector<std::string>& listen_urls,
            const ancm_host_services* host, const ancm_request_api* request_api);
  AppParams(const AppParams&) = delete;
  AppParams& operator=(const AppParams&) = delete;

  const ancm_app_params* get() const { return &params_; }

 private:
  ancm_str keep(std::string text);

  std::deque<std::string> strings_;  // stable addresses for the spans
  std::vector<ancm_kv> settings_;
  std::vector<ancm_kv> environment_;
  ancm_app_params params_{};
};

}  // namespace ancm::shim
