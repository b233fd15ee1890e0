#include "inprocess_application.h"

#include <strings.h>
#include <unistd.h>

#include <cstdlib>

#include "ancm/abi_strings.h"
#include "ancm/common/write_all.h"
#include "ancm/inproc/log_text.h"
#include "clr_thread.h"
#include "managed_assembly.h"

namespace ancm::inproc {
namespace {

using Clock = std::chrono::steady_clock;

// hostfxr status codes that mean a runtime already lives in this process.
constexpr int32_t kHostAlreadyInitialized = 0x00000001;
constexpr int32_t kDifferentRuntimeProperties = 0x00000002;
constexpr int32_t kHostInvalidState = static_cast<int32_t>(0x800080a3);

using abi::str;

std::optional<std::string> environment(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return std::nullopt;
  return std::string(value);
}

std::string seconds(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

}  // namespace

InProcessApplication::InProcessApplication(Settings settings, const ancm_app_params& params)
    : settings_(std::move(settings)), api_(params.request_api), host_(params.host) {
  managed_host_.abi_version = ANCM_MANAGED_ABI_VERSION;
  managed_host_.struct_size = sizeof(ancm_managed_host);
  managed_host_.host_ctx = this;
  managed_host_.request_api = api_;
  managed_host_.request_info = api_->request_info;
  managed_host_.register_server = &InProcessApplication::register_server;
  managed_host_.drained = &InProcessApplication::drained;
  managed_host_.log = &InProcessApplication::managed_log;
  managed_host_.start_failed = &InProcessApplication::start_failed;
  managed_host_.max_request_body_size = settings_.max_request_body_size;
}

InProcessApplication::~InProcessApplication() {
  startup_watch_.request_stop();
  changed_.notify_all();
}

void InProcessApplication::log(ancm_log_level level, const std::string& message) const {
  abi::host_log(host_, level, message);
}

// ------------------------------------------------------------------ start

common::Result<void, common::PageFailure> InProcessApplication::start() {
  auto plan = loader::make_launch_plan(settings_.process_path, settings_.arguments,
                                       settings_.app_path, loader::process_environment());
  if (!plan.ok()) {
    int substatus = plan.error().kind == loader::PlanError::HostfxrNotFound ? 32 : 38;
    return common::fail(common::PageFailure{{500, substatus}, plan.error().message, ""});
  }
  plan_ = std::move(plan).value();
  auto hostfxr = loader::Hostfxr::load(plan_.hostfxr_path);
  if (!hostfxr.ok()) return common::fail(common::PageFailure{{500, 32}, hostfxr.error(), ""});
  hostfxr_ = std::move(hostfxr).value();

  output_ = std::make_unique<WorkerStdoutCapture>(
      settings_.stdout_log_enabled ? settings_.stdout_log_file : std::filesystem::path());
  if (!output_->warning().empty()) log(ANCM_LOG_WARNING, output_->warning());

  started_at_ = Clock::now();
  log(ANCM_LOG_INFO, "starting " + plan_.app_dll.string() + " in-process (" +
                         (plan_.self_contained ? "self-contained" : "framework-dependent") +
                         ", hostfxr " + plan_.hostfxr_path.string() + ", stack " +
                         std::to_string(settings_.stack_size) + " bytes)");
  // The thread keeps the application alive until Main returns.
  auto started =
      start_clr_thread(settings_.stack_size, [self = shared_from_this()] { self->run_main(self); });
  if (!started.ok()) return common::fail(common::PageFailure{{500, 30}, started.error(), ""});
  startup_watch_ = std::jthread([this](std::stop_token stop) { watch_startup(stop); });
  return {};
}

void InProcessApplication::run_main(std::shared_ptr<InProcessApplication> self) {
  loader::HostfxrHandle handle = nullptr;
  if (auto initialized = initialize_runtime(&handle); !initialized.ok()) {
    return fail_start(std::move(initialized).error());
  }
  int32_t exit_code = hostfxr_->api().run_app(handle);
  hostfxr_->api().close(handle);

  std::string returned = std::string(kMainReturnedExitCode) + std::to_string(exit_code);
  std::unique_lock lock(mutex_);
  State state = state_;
  lock.unlock();
  // Everything that reaches the host happens before main_returned_ is
  // published: stop() returns on it, and the host's services may go right
  // after (AddressSanitizer caught this thread using them once freed).
  if (state == State::Starting) {
    fail_start({{500, 30}, returned + " before its server started", ""});
  } else {
    log(state == State::Stopping ? ANCM_LOG_INFO : ANCM_LOG_WARNING, returned);
  }
  if (state == State::Running) {
    lock.lock();
    state_ = State::Stopped;
    lock.unlock();
    // The runtime cannot start again in this process.
    if (host_->request_recycle) host_->request_recycle(host_->ctx, str(returned));
  }
  lock.lock();
  main_returned_ = true;
  lock.unlock();
  changed_.notify_all();
}

common::Result<void, common::PageFailure> InProcessApplication::initialize_runtime(
    loader::HostfxrHandle* handle) {
  apply_environment();
  const auto& hostfxr = hostfxr_->api();
  std::string hostfxr_output;
  int32_t status;
  {
    loader::ErrorWriterCapture errors(*hostfxr_);
    status = hostfxr_->initialize(plan_, handle);
    hostfxr_output = errors.text();
  }
  if (status == kHostAlreadyInitialized || status == kDifferentRuntimeProperties ||
      status == kHostInvalidState) {
    if (*handle) hostfxr.close(*handle);
    return common::fail(common::PageFailure{
        {500, 35}, "a .NET runtime already runs in this worker process", hostfxr_output});
  }
  if (!loader::is_hostfxr_success(status) || !*handle) {
    std::string reason = "hostfxr could not initialize " + plan_.app_dll.string() + ": " +
                         loader::describe_hostfxr_status(status);
    if (!hostfxr_output.empty()) reason += "\n" + hostfxr_output;
    return common::fail(common::PageFailure{
        {500, loader::is_framework_missing(status) ? 31 : 30}, reason, hostfxr_output});
  }
  auto set = [&](const char* name, const std::string& value) {
    hostfxr.set_runtime_property_value(*handle, name, value.c_str());
  };
  // Threads the runtime creates (the thread pool's) get stackSize too. The
  // runtime reads this property as hex without 0x (decimal once gave 16 MiB).
  set("DEFAULT_STACK_SIZE", loader::format_runtime_stack_size(settings_.stack_size));
  set(ANCM_MANAGED_HOST_PROPERTY, std::to_string(reinterpret_cast<std::uintptr_t>(&managed_host_)));
  set(ANCM_SERVER_ADDRESSES_PROPERTY, settings_.bindings);
  if (settings_.call_startup_hook) {
    const char* hooks = nullptr;
    hostfxr.get_runtime_property_value(*handle, "STARTUP_HOOKS", &hooks);
    auto ours = managed_assembly_path().string();
    set("STARTUP_HOOKS", hooks && *hooks ? std::string(hooks) + ":" + ours : ours);
  }
  return {};
}

// web.config variables win over inherited ones, unless
// ANCM_PREFER_ENVIRONMENT_VARIABLES says otherwise. The pairing variables stay
// unset so the app's UseIISIntegration does not turn itself on.
void InProcessApplication::apply_environment() const {
  auto prefer = environment("ANCM_PREFER_ENVIRONMENT_VARIABLES");
  bool inherited_wins = prefer && ::strcasecmp(prefer->c_str(), "true") == 0;
  for (const auto& [name, value] : settings_.environment) {
    if (inherited_wins && std::getenv(name.c_str())) continue;
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ::unsetenv("ASPNETCORE_PORT");
  ::unsetenv("ASPNETCORE_TOKEN");
  if (settings_.set_current_directory && ::chdir(settings_.app_path.c_str()) != 0) {
    log(ANCM_LOG_WARNING, "cannot change the current directory to " + settings_.app_path.string());
  }
}

void InProcessApplication::watch_startup(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  auto settled = [&] { return stop.stop_requested() || state_ != State::Starting; };
  if (settings_.startup_time_limit.count() == 0) return changed_.wait(lock, settled);
  changed_.wait_until(lock, started_at_ + settings_.startup_time_limit, settled);
  if (state_ != State::Starting || stop.stop_requested()) return;
  lock.unlock();
  fail_start({{500, 37},
              "the application did not start within startupTimeLimit (" +
                  seconds(settings_.startup_time_limit) + ")",
              ""});
}

void InProcessApplication::fail_start(common::PageFailure failure) {
  std::vector<ancm_request*> waiting;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Starting) return;
    if (failure.detail.empty() && output_) failure.detail = output_->captured();
    state_ = State::Failed;
    failure_ = failure;
    waiting.swap(pending_);
  }
  changed_.notify_all();
  log(ANCM_LOG_ERROR, "in-process start failed (" + std::to_string(failure.code.status) + "." +
                          std::to_string(failure.code.substatus) + "): " + failure.reason);
  ancm_failure page = common::abi_failure(failure);
  for (auto* request : waiting) host_->fail_request(host_->ctx, request, &page);
}

InProcessApplication::Settled InProcessApplication::wait_settled(std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, limit, [this] { return state_ != State::Starting; })) {
    return Settled::TimedOut;
  }
  return state_ == State::Failed ? Settled::Failed : Settled::Started;
}

// ------------------------------------------------------------------ requests

ancm_result InProcessApplication::handle_request(ancm_request* request, ancm_failure* failure) {
  std::unique_lock lock(mutex_);
  switch (state_) {
    case State::Running: {
      auto server = server_;
      lock.unlock();
      server.on_request(request);
      return ANCM_OK;
    }
    case State::Starting:
      pending_.push_back(request);
      return ANCM_OK;
    case State::Failed: {
      common::report_failure(*failure_, failure);
      return ANCM_FAILED;
    }
    case State::Stopping:
    case State::Stopped:
      break;
  }
  *failure = common::shutting_down_failure();
  return ANCM_FAILED;
}

int InProcessApplication::register_server(void* ctx, const ancm_managed_server* server) {
  auto* self = static_cast<InProcessApplication*>(ctx);
  std::vector<ancm_request*> waiting;
  {
    std::lock_guard lock(self->mutex_);
    if (self->state_ != State::Starting) return -1;
    self->server_ = *server;
    self->state_ = State::Running;
    waiting.swap(self->pending_);
  }
  self->changed_.notify_all();
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - self->started_at_);
  self->log(ANCM_LOG_INFO,
            "the in-process application started in " + std::to_string(took.count()) + " ms");
  for (auto* request : waiting) self->server_.on_request(request);
  return 0;
}

void InProcessApplication::drained(void* ctx) {
  auto* self = static_cast<InProcessApplication*>(ctx);
  {
    std::lock_guard lock(self->mutex_);
    self->drained_ = true;
  }
  self->changed_.notify_all();
}

void InProcessApplication::managed_log(void* ctx, int32_t level, const char* message,
                                       size_t length) {
  auto* self = static_cast<InProcessApplication*>(ctx);
  self->log(static_cast<ancm_log_level>(level), std::string(message, length));
}

void InProcessApplication::start_failed(void* ctx, const char* message, size_t length) {
  auto* self = static_cast<InProcessApplication*>(ctx);
  std::string text(message, length);
  // The hook keeps the exception from ending the process, so the runtime
  // does not print it: print it as the runtime would, stack trace and all,
  // to the app's stderr (the stdout log, when enabled, as under IIS).
  common::write_all(STDERR_FILENO, "Unhandled exception. " + text + "\n");
  std::string first_line = text.substr(0, text.find('\n'));
  std::string output = self->output_ ? self->output_->captured() : "";
  self->fail_start({{500, 30},
                    "the application's Main threw: " + first_line,
                    output.empty() ? text : text + "\n\n" + output});
}

// ------------------------------------------------------------------ stop

void InProcessApplication::stop(bool) {
  std::unique_lock lock(mutex_);
  if (state_ == State::Starting) {
    state_ = State::Stopped;
    auto waiting = std::move(pending_);
    lock.unlock();
    ancm_failure page = common::shutting_down_failure();
    for (auto* request : waiting) host_->fail_request(host_->ctx, request, &page);
    return;
  }
  if (state_ != State::Running) return;
  state_ = State::Stopping;
  auto server = server_;
  lock.unlock();
  log(ANCM_LOG_INFO, "stopping the in-process application");
  server.on_shutdown();
  lock.lock();
  auto deadline = Clock::now() + settings_.shutdown_time_limit;
  if (!changed_.wait_until(lock, deadline, [this] { return drained_ && main_returned_; })) {
    log(ANCM_LOG_WARNING, "the in-process application did not stop within shutdownTimeLimit (" +
                              seconds(settings_.shutdown_time_limit) + ")");
  }
  state_ = State::Stopped;
}

}  // namespace ancm::inproc
