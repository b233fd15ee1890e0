#include "observe/request_observer.h"

#include "ancm/abi_strings.h"
#include "ancm/common/ascii.h"
#include "observe/access_log.h"
#include "server_request.h"

namespace ancm::server {
namespace {

std::string_view field(const ServerRequest& request, std::string_view name) {
  for (const auto& kv : request.headers()) {
    if (common::iequals(abi::view(kv.name), name)) return abi::view(kv.value);
  }
  return {};
}

// The pages of an application that did not start (ANCM's start-up errors).
bool is_start_failure(int status, int substatus) {
  return (status == 500 && substatus >= 30 && substatus <= 38) || (status == 502 && substatus == 5);
}

}  // namespace

RequestObserver::RequestObserver(AccessLog* log, Metrics* metrics,
                                 std::function<ModelLabel()> model)
    : log_(log), metrics_(metrics), model_(std::move(model)) {}

void RequestObserver::request_ended(const ServerRequest& request,
                                    const RequestOutcome& outcome) const {
  RequestRecord record;
  record.ended = std::chrono::system_clock::now();
  record.duration = std::chrono::steady_clock::now() - outcome.started;
  if (!outcome.head_refused) {
    record.method = abi::view(request.method());
    record.path = abi::view(request.path());
    record.query = abi::view(request.query());
    record.user_agent = field(request, "user-agent");
    record.referer = field(request, "referer");
  }
  record.http_version = request.http_version();
  record.status = outcome.status;
  record.substatus = outcome.substatus;
  record.remote_address = abi::view(request.remote_address());
  record.local_address = abi::view(request.local_address());
  record.local_port = request.local_port();
  record.bytes_received = outcome.bytes_received;
  record.bytes_sent = outcome.bytes_sent;
  record.tls = request.is_tls();
  if (is_start_failure(outcome.status, outcome.substatus)) {
    start_failing_.store(true, std::memory_order_relaxed);
  } else if (!outcome.head_refused && !outcome.answered_by_host && outcome.substatus == 0 &&
             outcome.status != 503) {
    start_failing_.store(false, std::memory_order_relaxed);  // the app answered
  }
  if (log_) log_->record(record);
  if (metrics_) metrics_->request_ended(record, model_ ? model_() : ModelLabel::outofprocess);
}

}  // namespace ancm::server
