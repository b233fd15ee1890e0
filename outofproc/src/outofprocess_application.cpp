#include "outofprocess_application.h"

#include <chrono>

#include "pipe_allowance.h"

namespace ancm::outofproc {
namespace {

// Exchanges still running after the children are gone end within this.
constexpr auto kExchangeDrain = std::chrono::seconds(2);
// Only used when the server does not offer its connections' strands.
constexpr int kOwnProxyThreads = 2;

}  // namespace

OutOfProcessApplication::OutOfProcessApplication(Settings settings, const ancm_app_params& params)
    : settings_(std::move(settings)),
      host_(params.host),
      pipe_budget_(relay_pipe_budget_here()),
      h2_([host = params.host](ancm_log_level level, const std::string& message) {
        abi::host_log(host, level, message);
      }),
      own_threads_(kOwnProxyThreads) {
  Logger logger = [host = host_](ancm_log_level level, const std::string& message) {
    abi::host_log(host, level, message);
  };
  processes_ = std::make_unique<ProcessManager>(
      settings_, logger, [host = host_](ancm_host_event event) { abi::host_report(host, event); });
  context_.api = params.request_api;
  context_.host = params.host;
  context_.processes = processes_.get();
  context_.pool = &pool_;
  context_.h2 = &h2_;
  context_.own_threads = &own_threads_;
  context_.relay_budget = &relay_budget_;
  context_.pipe_budget = &pipe_budget_;
  context_.request_timeout = settings_.request_timeout;
  context_.forward_connection_header = settings_.forward_response_connection_header;
  context_.log = logger;
  if (settings_.warm_start) {
    warm_start_.begin(*processes_, logger);
  }
}

OutOfProcessApplication::~OutOfProcessApplication() { stop(); }

void OutOfProcessApplication::log(ancm_log_level level, const std::string& message) const {
  context_.log(level, message);
}

ancm_result OutOfProcessApplication::handle_request(ancm_request* request, ancm_failure* failure) {
  if (stopping_) {
    *failure = common::shutting_down_failure();
    return ANCM_FAILED;
  }
  // Exchanges share ownership of the application through its context.
  std::shared_ptr<const ProxyContext> context(shared_from_this(), &context_);
  std::make_shared<ProxyExchange>(std::move(context), request)->start();
  return ANCM_OK;
}

void OutOfProcessApplication::stop(bool) {
  if (stopping_.exchange(true)) return;
  log(ANCM_LOG_INFO, "stopping the application's processes for " + settings_.app_path.string());
  processes_->shutdown();
  pool_.clear();
  h2_.close_all();
  // Requests still in flight fail now that their process is gone; give them
  // a moment to answer before the I/O threads stop.
  auto deadline = std::chrono::steady_clock::now() + kExchangeDrain;
  while (context_.active_exchanges > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  own_threads_.stop();
}

}  // namespace ancm::outofproc
