// The worker: accepts connections, parses HTTP and hands requests to the shim.
#pragma once

#include <cstddef>
#include <string_view>

#include "ancm/server/options.h"

namespace ancm::server {

// The fixed part of the line a stop with a shutdownDelay logs:
// "worker 12 stopping (SIGTERM) after shutdownDelay (1500 ms)".
inline constexpr std::string_view kAfterShutdownDelay = "after shutdownDelay";
// Logged once per worker start, when it has read web.config:
// "request bodies up to 30000000 bytes (web.config maxAllowedContentLength)".
inline constexpr std::string_view kRequestBodiesUpTo = "request bodies up to";
// The warning for a handler that calls with the handle of a request that ended
// ("a handler used the request handle of an ended request (after complete() ...").
inline constexpr std::string_view kStaleRequestHandle = "request handle of an ended request";
// The warning for an HTTP/2 connection the server ends because of what the
// client sent (a flood, a malformed frame, a header list past the limit):
// "HTTP/2 connection from 127.0.0.1:5555 refused: Flooding was detected ...".
inline constexpr std::string_view kHttp2ConnectionRefused = "refused:";

// The line handlerSetting initializationPage logs (warm_up.cpp):
// "initializationPage /warmup answered 200 in 41 ms", with "; again until it
// settled: 6.1 ms, 2.0 ms, 0.9 ms" when it was repeated, and for a failure, a
// non-2xx answer or none in time "...; serving anyway".
inline constexpr std::string_view kInitializationPage = "initializationPage";
inline constexpr std::string_view kAnswered = " answered ";
inline constexpr std::string_view kServingAnyway = "; serving anyway";
// The page is requested again while each answer is clearly faster than the
// one before, at most this many more times.
inline constexpr std::size_t kMostInitializationPageRepeats = 5;
// The User-Agent of that request, so the app can tell it from a client's.
inline constexpr std::string_view kWarmUpUserAgent = "ancm-host warm-up";

// Serves until told to stop, then drains in-flight requests. Returns the
// process exit code.
int run_worker(const WorkerOptions& options);

}  // namespace ancm::server
