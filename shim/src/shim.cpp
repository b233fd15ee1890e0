#include "ancm/shim/shim.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "ancm/abi_strings.h"
#include "ancm/common/page_failure.h"
#include "ancm/common/result.h"
#include "ancm/config/load.h"
#include "app_params.h"
#include "application_handle.h"
#include "directory_watcher.h"
#include "error_response.h"
#include "handler_library.h"

namespace ancm::shim {
namespace {

constexpr const char* kAppOffline = "app_offline.htm";

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void log_from_handler(void*, ancm_log_level level, ancm_str message) {
  std::string_view text(message.data ? message.data : "", message.len);
  switch (level) {
    case ANCM_LOG_TRACE:
      return spdlog::trace("{}", text);
    case ANCM_LOG_INFO:
      return spdlog::info("{}", text);
    case ANCM_LOG_WARNING:
      return spdlog::warn("{}", text);
    case ANCM_LOG_ERROR:
      return spdlog::error("{}", text);
    case ANCM_LOG_LEVEL_INT_WIDTH_:
      break;
  }
  // A level this host does not know (a newer or broken handler): the
  // message still counts more than its level.
  spdlog::info("{}", text);
}

// A failure to show: the handler's, a library load failure, or a config error.
using common::PageFailure;

// The files whose change means a new build was deployed.
bool is_deployed_code(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".dll") == 0;
}

// Once stop() came no application is created: what a late start gets.
PageFailure host_stopping() { return PageFailure{{503, 0}, "the host is stopping", ""}; }

PageFailure copy_failure(const ancm_failure& failure) {
  return {{failure.status, failure.substatus},
          abi::to_string(failure.reason),
          abi::to_string(failure.detail)};
}

}  // namespace

struct Shim::Impl {
  explicit Impl(ShimOptions shim_options);

  Preload preload();
  std::optional<Preload> changed_meanwhile_locked(
      const std::shared_ptr<ApplicationHandle>& waited) const;
  std::chrono::milliseconds shutdown_delay() const;
  std::uint64_t max_request_body_bytes() const;
  Shim::WarmUp warm_up() const;
  void handle_request(ancm_request* request);
  void stop();
  AppState state() const;
  bool in_process() const;

 private:
  common::Result<std::shared_ptr<ApplicationHandle>, PageFailure> application_for();
  // Loads the handler and creates the application, then app_ (create_mutex_ held).
  common::Result<std::shared_ptr<ApplicationHandle>, PageFailure> create_application(
      const config::AppConfig& config);
  common::Result<const HandlerLibrary*, PageFailure> library_for(config::HostingModel model);
  void send_failure(ancm_request* request, const PageFailure& failure,
                    const config::AppConfig* config);

  void on_file_changed(const std::string& name);
  void reload_config(const char* why);
  void refresh_app_offline();
  void retire_application(const char* why, bool server_initiated = false);
  void ask_for_new_worker(const std::string& why);

  ShimOptions options_;
  std::filesystem::path config_file_;
  std::filesystem::path app_folder_;
  ancm_host_services host_{};

  // Loaded libraries stay until the shim goes; applications go first.
  std::map<config::HostingModel, std::unique_ptr<HandlerLibrary>> libraries_;
  std::mutex create_mutex_;  // one application start at a time

  mutable std::mutex mutex_;  // guards the state below
  std::shared_ptr<const config::AppConfig> config_;
  std::string config_error_;  // non-empty while web.config is invalid
  std::optional<std::string> config_bytes_;
  std::optional<std::string> offline_html_;
  std::optional<PageFailure> library_failure_;  // until the configuration changes
  std::shared_ptr<ApplicationHandle> app_;
  bool runtime_started_ = false;  // an in-process runtime lives in this process
  bool stopping_ = false;         // stop() came: no application is created any more
  // What the front end enforces, fixed when this worker started.
  std::uint64_t max_request_body_bytes_ = config::AppConfig{}.max_allowed_content_length;
  bool recycle_requested_ = false;
  bool start_failed_ = false;  // the last attempt to create the application failed

  std::unique_ptr<DirectoryWatcher> watcher_;  // last: stops before the rest goes
};

Shim::Impl::Impl(ShimOptions shim_options) : options_(std::move(shim_options)) {
  config_file_ = std::filesystem::absolute(config::web_config_path(options_.target));
  app_folder_ = config_file_.parent_path();
  host_.struct_size = sizeof(ancm_host_services);
  host_.ctx = this;
  host_.log = log_from_handler;
  host_.request_recycle = [](void* ctx, ancm_str reason) {
    auto* self = static_cast<Impl*>(ctx);
    if (self->options_.request_recycle) {
      self->options_.request_recycle(std::string(reason.data ? reason.data : "", reason.len));
    }
  };
  host_.report_event = [](void* ctx, ancm_host_event event) {
    auto* self = static_cast<Impl*>(ctx);
    if (self->options_.report_event) self->options_.report_event(event);
  };
  host_.fail_request = [](void* ctx, ancm_request* request, const ancm_failure* failure) {
    auto* self = static_cast<Impl*>(ctx);
    std::shared_ptr<const config::AppConfig> config;
    {
      std::lock_guard lock(self->mutex_);
      config = self->config_;
    }
    self->send_failure(request, copy_failure(*failure), config.get());
  };
  reload_config("start");
  refresh_app_offline();
  auto config_name = config_file_.filename().string();
  watcher_ = std::make_unique<DirectoryWatcher>(
      app_folder_,
      [config_name](const std::string& name) {
        return name == kAppOffline || name == config_name || is_deployed_code(name);
      },
      [this](const std::string& name) { on_file_changed(name); });
}

// ------------------------------------------------------------------ requests

std::chrono::milliseconds Shim::Impl::shutdown_delay() const {
  std::lock_guard lock(mutex_);
  return config_ ? config_->handler.shutdown_delay : std::chrono::milliseconds(0);
}

Shim::WarmUp Shim::Impl::warm_up() const {
  std::lock_guard lock(mutex_);
  if (!config_) return {};
  // Part of the start-up: bounded as the start is (startupTimeLimit), and
  // never without a bound (a limit of 0 means none for the start itself).
  auto limit = config_->startup_time_limit.count() > 0 ? config_->startup_time_limit
                                                       : config::AppConfig{}.startup_time_limit;
  return {config_->handler.initialization_page, limit};
}

std::uint64_t Shim::Impl::max_request_body_bytes() const {
  std::lock_guard lock(mutex_);
  return max_request_body_bytes_;
}

Shim::Preload Shim::Impl::preload() {
  std::chrono::seconds limit;
  {
    std::lock_guard lock(mutex_);
    if (offline_html_) return Preload::Offline;
    if (!config_) return Preload::BadConfig;
    limit = config_->startup_time_limit;
  }
  if (!options_.start_failure.empty()) return Preload::Failed;
  auto created = application_for();
  if (!created.ok()) return Preload::Failed;  // its page is ready for the first request
  // startupTimeLimit 0 means no limit; the handler reports a limit it enforces.
  auto bound = limit.count() > 0 ? limit + std::chrono::seconds(5) : std::chrono::hours(1);
  auto settled = created.value()->wait_settled(bound);
  {
    std::lock_guard lock(mutex_);
    if (auto now = changed_meanwhile_locked(created.value())) return *now;
  }
  switch (settled) {
    case ApplicationHandle::Settled::Started:
      return Preload::Started;
    case ApplicationHandle::Settled::Failed: {
      // Created, then failed: known before any request, for /healthz. In-process
      // (Main threw) for good: a runtime does not start twice in one worker.
      // Out-of-process (warmStart: a child could not start) the next request
      // starts one again, so the worker's request observer, told by the
      // worker, follows what requests meet instead (RequestObserver).
      std::lock_guard lock(mutex_);
      bool in_process = config_ && config_->hosting_model == config::HostingModel::InProcess;
      if (app_ == created.value() && in_process) start_failed_ = true;
      return Preload::Failed;
    }
    case ApplicationHandle::Settled::TimedOut:
      break;
  }
  spdlog::warn("the application is still starting; serving anyway");
  return Preload::StillStarting;
}

// app_offline.htm appeared or web.config broke while preload() waited (the
// application it waited on is being retired, its children stopped, which a
// warm start sees as a failed start), or the application was retired for
// another reason: what requests get now is the answer.
std::optional<Shim::Preload> Shim::Impl::changed_meanwhile_locked(
    const std::shared_ptr<ApplicationHandle>& waited) const {
  if (offline_html_) return Preload::Offline;
  if (!config_) return Preload::BadConfig;
  if (app_ == waited) return std::nullopt;
  // In process the runtime cannot start twice in this worker: requests get
  // an error page until a new worker takes over. Out of process the next
  // request starts the application afresh.
  return runtime_started_ ? Preload::Failed : Preload::Started;
}

void Shim::Impl::handle_request(ancm_request* request) {
  const ancm_request_api& api = *options_.request_api;
  std::shared_ptr<const config::AppConfig> config;
  std::shared_ptr<ApplicationHandle> app;
  {
    std::lock_guard lock(mutex_);
    if (offline_html_) return send_html(api, request, 503, *offline_html_);
    if (!config_error_.empty()) {
      PageFailure failure{{500, 19}, config_error_, ""};
      return send_failure(request, failure, nullptr);
    }
    config = config_;
    app = app_;
  }
  if (!app) {
    auto created = application_for();
    if (!created.ok()) return send_failure(request, created.error(), config.get());
    app = created.value();
  }
  ancm_failure failure{};
  if (app->handle_request(request, &failure) == ANCM_FAILED) {
    send_failure(request, copy_failure(failure), config.get());
  }
}

common::Result<std::shared_ptr<ApplicationHandle>, PageFailure> Shim::Impl::application_for() {
  std::lock_guard creating(create_mutex_);
  std::shared_ptr<const config::AppConfig> config;
  {
    std::lock_guard lock(mutex_);
    if (app_) return app_;
    if (stopping_) return common::fail(host_stopping());
    if (!config_) return common::fail(PageFailure{{500, 19}, config_error_, ""});
    if (!options_.start_failure.empty()) {
      bool in_process = config_->hosting_model == config::HostingModel::InProcess;
      return common::fail(
          PageFailure{{in_process ? 500 : 502, in_process ? 30 : 5}, options_.start_failure, ""});
    }
    if (runtime_started_) {
      // A .NET runtime cannot be unloaded: a fresh one needs a fresh worker.
      ask_for_new_worker("the in-process application restarts");
      return common::fail(
          PageFailure{{503, 0}, "the application is restarting in a new worker", ""});
    }
    config = config_;
  }
  auto created = create_application(*config);
  std::lock_guard lock(mutex_);
  start_failed_ = !created.ok();
  return created;
}

common::Result<std::shared_ptr<ApplicationHandle>, PageFailure> Shim::Impl::create_application(
    const config::AppConfig& config_ref) {
  const auto* config = &config_ref;
  auto library = library_for(config->hosting_model);
  if (!library.ok()) return common::fail(library.error());
  const ancm_handler_api& api = library.value()->api();

  AppParams params(*config, options_.listen_urls, &host_, options_.request_api);
  ancm_application* raw = nullptr;
  ancm_failure failure{};
  if (api.create_application(params.get(), &raw, &failure) != ANCM_OK || !raw) {
    auto copied = copy_failure(failure);
    spdlog::error("application {} failed to start ({}.{}): {}", config->app_path.string(),
                  copied.code.status, copied.code.substatus, copied.reason);
    return common::fail(std::move(copied));
  }
  auto app = std::make_shared<ApplicationHandle>(api, raw);
  spdlog::info("application {} started ({} handler)", config->app_path.string(), api.name);
  {
    std::lock_guard lock(mutex_);
    if (config->hosting_model == config::HostingModel::InProcess) runtime_started_ = true;
    if (!stopping_) {
      app_ = app;
      return app;
    }
  }
  // stop() came while it was being created: it ends with the host.
  app->stop(true);
  return common::fail(host_stopping());
}

common::Result<const HandlerLibrary*, PageFailure> Shim::Impl::library_for(
    config::HostingModel model) {
  {
    std::lock_guard lock(mutex_);
    if (library_failure_) return common::fail(*library_failure_);
  }
  if (auto found = libraries_.find(model); found != libraries_.end()) return found->second.get();
  auto path = options_.handler_dir / handler_file_name(model);
  auto loaded = HandlerLibrary::load(path);
  if (!loaded.ok()) {
    const auto& problem = loaded.error();
    int substatus = 0;
    if (problem.not_found) substatus = model == config::HostingModel::InProcess ? 33 : 36;
    PageFailure failure{{500, substatus}, problem.message, ""};
    spdlog::error("{}", problem.message);
    std::lock_guard lock(mutex_);
    library_failure_ = failure;
    return common::fail(std::move(failure));
  }
  auto& library = libraries_[model];
  library = std::move(loaded).value();
  spdlog::info("{} {}", kLoadedHandlerLibrary, library->path().string());
  return library.get();
}

void Shim::Impl::send_failure(ancm_request* request, const PageFailure& failure,
                              const config::AppConfig* config) {
  static const std::vector<std::pair<std::string, std::string>> kNoVariables;
  // A configuration error page names the error, as IIS's 500.19 does.
  bool detailed = failure.code.substatus == 19 && failure.code.status == 500;
  detailed = detailed ||
             common::detailed_errors_enabled(config ? config->environment_variables : kNoVariables);
  bool suppress = config && config->disable_startup_error_page && is_startup_error(failure.code);
  if (options_.note_substatus) options_.note_substatus(request, failure.code.substatus);
  common::ErrorPageInput page;
  page.code = failure.code;
  page.specific_error = failure.reason;
  page.app_output = failure.detail;
  page.detailed = detailed;
  send_error_page(*options_.request_api, request, page, suppress);
}

// ------------------------------------------------------------------ changes

void Shim::Impl::on_file_changed(const std::string& name) {
  if (name == kAppOffline) return refresh_app_offline();
  if (is_deployed_code(name)) {
    // A deploy replaced the app's code: a running app moves to a new worker.
    std::lock_guard lock(mutex_);
    if (app_ || runtime_started_ || !options_.start_failure.empty()) {
      ask_for_new_worker("the application's files changed (" + name + ")");
    }
    return;
  }
  reload_config(kWebConfigChanged);
}

void Shim::Impl::reload_config(const char* why) {
  auto bytes = read_file(config_file_);
  {
    std::lock_guard lock(mutex_);
    if (config_ && bytes && bytes == config_bytes_) return;  // touched, not changed
  }
  auto loaded = config::load_config(config_file_);
  bool had_config = false;
  {
    std::lock_guard lock(mutex_);
    bool running = app_ || (config_ && !options_.start_failure.empty());
    if (loaded.ok() && running && options_.request_recycle) {
      // A running app moves to a new worker that starts with the new
      // settings; this one keeps serving until that one is ready (zero
      // downtime, and the only way for an in-process runtime).
      config_bytes_ = bytes;
      ask_for_new_worker(std::string(why));
      return;
    }
    had_config = config_ || !config_error_.empty();
    if (!had_config && loaded.ok()) {
      max_request_body_bytes_ = loaded.config->max_allowed_content_length;
    }
    // The front end's body limit is fixed per worker: a new one must take it.
    if (had_config && loaded.ok() && options_.request_recycle &&
        loaded.config->max_allowed_content_length != max_request_body_bytes_) {
      config_bytes_ = bytes;
      ask_for_new_worker(std::string(why) + " (a new requestLimits maxAllowedContentLength)");
      return;
    }
    config_bytes_ = bytes;
    library_failure_.reset();
    if (loaded.ok()) {
      config_ = std::make_shared<const config::AppConfig>(std::move(*loaded.config));
      config_error_.clear();
    } else {
      config_.reset();
      config_error_.clear();
      for (const auto& error : loaded.errors) config_error_ += error.to_string() + "\n";
    }
  }
  if (!loaded.ok()) {
    spdlog::error("configuration error ({}): requests get 500.19 until it is fixed:\n{}", why,
                  config_error_);
  } else if (had_config) {
    spdlog::info("{}: the application restarts with the new settings", why);
  }
  if (had_config) retire_application(why);
}

void Shim::Impl::refresh_app_offline() {
  auto html = read_file(app_folder_ / kAppOffline);
  bool went_offline = false;
  {
    std::lock_guard lock(mutex_);
    went_offline = html && !offline_html_;
    bool back_online = !html && offline_html_;
    offline_html_ = html;
    if (back_online) library_failure_.reset();
    if (!went_offline && !back_online) return;
  }
  if (went_offline) {
    spdlog::info("{} found: stopping the application and answering 503", kAppOffline);
    retire_application("app_offline.htm");
  } else {
    spdlog::info("{} removed: the next request starts the application", kAppOffline);
    std::lock_guard lock(mutex_);
    if (runtime_started_) ask_for_new_worker("app_offline.htm removed");
  }
}

// A .NET runtime cannot be unloaded: the master starts a new worker, which
// preloads the app, and only then retires this one. Once per worker.
// Called with mutex_ held.
void Shim::Impl::ask_for_new_worker(const std::string& why) {
  if (recycle_requested_ || !options_.request_recycle) return;
  recycle_requested_ = true;
  spdlog::info("{}: asking the master for a new worker", why);
  options_.request_recycle(why);
}

void Shim::Impl::retire_application(const char* why, bool server_initiated) {
  std::shared_ptr<ApplicationHandle> app;
  {
    std::lock_guard lock(mutex_);
    app = std::move(app_);
    start_failed_ = false;  // what comes next is tried afresh
  }
  if (!app) return;
  spdlog::info("stopping the application ({})", why);
  app->stop(server_initiated);
  // Dropping the last reference waits for the handler to finish stopping.
}

void Shim::Impl::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  watcher_.reset();
  retire_application("the host stops", true);
}

AppState Shim::Impl::state() const {
  std::lock_guard lock(mutex_);
  if (offline_html_) return AppState::offline;
  if (!config_error_.empty()) return AppState::config_error;
  if (start_failed_ || !options_.start_failure.empty() || library_failure_) return AppState::failed;
  return app_ ? AppState::running : AppState::starting;
}

bool Shim::Impl::in_process() const {
  std::lock_guard lock(mutex_);
  return config_ && config_->hosting_model == config::HostingModel::InProcess;
}

// ------------------------------------------------------------------ public

Shim::Shim(ShimOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Shim::~Shim() { impl_->stop(); }
Shim::Preload Shim::preload() { return impl_->preload(); }
std::chrono::milliseconds Shim::shutdown_delay() const { return impl_->shutdown_delay(); }
std::uint64_t Shim::max_request_body_bytes() const { return impl_->max_request_body_bytes(); }
Shim::WarmUp Shim::warm_up() const { return impl_->warm_up(); }
void Shim::handle_request(ancm_request* request) { impl_->handle_request(request); }
void Shim::stop() { impl_->stop(); }
AppState Shim::state() const { return impl_->state(); }
bool Shim::in_process() const { return impl_->in_process(); }

}  // namespace ancm::shim
