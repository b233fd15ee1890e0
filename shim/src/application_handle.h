// One application created by a handler library; released when dropped.
#pragma once

#include <chrono>

#include "ancm/handler_abi.h"

namespace ancm::shim {

class ApplicationHandle {
 public:
  ApplicationHandle(const ancm_handler_api& api, ancm_application* app) : api_(api), app_(app) {}
  ~ApplicationHandle() { api_.release(app_); }
  ApplicationHandle(const ApplicationHandle&) = delete;
  ApplicationHandle& operator=(const ApplicationHandle&) = delete;

  ancm_result handle_request(ancm_request* request, ancm_failure* failure) {
    return api_.handle_request(app_, request, failure);
  }
  void stop(bool server_initiated) { api_.stop(app_, server_initiated ? 1 : 0); }
  // wait_settled's values (handler_abi.h).
  enum class Settled { TimedOut = 0, Started = 1, Failed = 2 };
  Settled wait_settled(std::chrono::milliseconds limit) {
    int settled = api_.wait_settled(app_, limit.count());
    if (settled == 2) return Settled::Failed;
    return settled == 0 ? Settled::TimedOut : Settled::Started;
  }

 private:
  const ancm_handler_api& api_;
  ancm_application* app_;
};

}  // namespace ancm::shim
