#include "app_params.h"

#include <set>

namespace ancm::shim {

ancm_str AppParams::keep(std::string text) {
  const auto& kept = strings_.emplace_back(std::move(text));
  return {kept.data(), kept.size()};
}

AppParams::AppParams(const config::AppConfig& config, const std::vector<std::string>& listen_urls,
                     const ancm_host_services* host, const ancm_request_api* request_api) {
  std::set<std::string> named;
  for (const auto& setting : config.resolved) {
    settings_.push_back({keep(setting.name), keep(setting.value)});
    named.insert(setting.name);
  }
  // handlerSettings the configuration does not know are passed on as written.
  for (const auto& [name, value] : config.handler_settings) {
    auto key = "handlerSetting:" + name;
    if (named.insert(key).second) settings_.push_back({keep(key), keep(value)});
  }
  std::string bindings;
  for (const auto& url : listen_urls) bindings += (bindings.empty() ? "" : ";") + url;
  if (named.insert("bindings").second) settings_.push_back({keep("bindings"), keep(bindings)});
  for (const auto& [name, value] : config.environment_variables) {
    environment_.push_back({keep(name), keep(value)});
  }
  params_.abi_version = ANCM_HANDLER_ABI_VERSION;
  params_.struct_size = sizeof(ancm_app_params);
  params_.config_path = keep(config.config_path.string());
  params_.app_path = keep(config.app_path.string());
  params_.settings = settings_.data();
  params_.settings_count = settings_.size();
  params_.environment = environment_.data();
  params_.environment_count = environment_.size();
  params_.host = host;
  params_.request_api = request_api;
}

}  // namespace ancm::shim
