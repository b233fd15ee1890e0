// Why an application cannot serve, as the shim shows it: the ANCM page's
// status and substatus (500.30, 502.5, ...), one line of reason, and the
// detail a detailed page adds (the app's output, an exception). Both handler
// libraries report their start failures with it through ancm_failure.
#pragma once

#include <string>
#include <string_view>

#include "ancm/abi_strings.h"
#include "ancm/common/error_page.h"
#include "ancm/handler_abi.h"

namespace ancm::common {

struct PageFailure {
  ErrorCode code;
  std::string reason;  // one line, e.g. "process 'dotnet' exited early with code 1"
  std::string detail;  // e.g. the first 30,000 characters the process printed
};

// The ABI's view of `failure`, valid as long as `failure` is.
inline ancm_failure abi_failure(const PageFailure& failure) {
  return {failure.code.status, failure.code.substatus, abi::str(failure.reason),
          abi::str(failure.detail)};
}

// Why a stopping application (its configuration changed, the worker
// drains) no longer serves a request that still reaches it.
inline constexpr std::string_view kShuttingDown = "the application is shutting down";

// The 503 such a request gets; static text, valid for ever.
inline ancm_failure shutting_down_failure() {
  return {503, 0, abi::str(kShuttingDown), {nullptr, 0}};
}

// Reports `failure` through `out` as create_application and handle_request
// do: the strings stay valid until the next call on the same thread.
inline void report_failure(const PageFailure& failure, ancm_failure* out) {
  thread_local PageFailure shown;
  shown = failure;
  *out = abi_failure(shown);
}

}  // namespace ancm::common
