// handlerSetting initializationPage: the worker requests one path of its app
// itself, after the app started and before it takes connections or tells the
// master it is ready, as IIS's <applicationInitialization> does.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

#include "ancm/server/worker.h"  // its log wording
#include "ancm/shim/shim.h"
#include "connection.h"

namespace ancm::server {

// Sends `GET <page>` through a Connection of its own over a private loopback
// TCP connection (the same front end, shim and handler a client's request
// goes through, but not through the shared listening sockets, where the old
// worker of a recycle is still accepting), again while the answers get
// clearly faster (at most kMostInitializationPageRepeats more times, none
// once `stopping` says so), runs `io` on the calling thread meanwhile, and
// logs the outcome in one line. Nothing when the page is empty or the app is
// not running (it would only get an error page). Never fails the worker: a
// failure, a non-2xx answer or no answer in time is a warning (as in IIS).
// `context` must outlive `io`'s handlers (the request may outlast a timeout).
void warm_up(boost::asio::io_context& io, const ConnectionContext& context,
             const shim::Shim::WarmUp& plan, shim::Shim::Preload preloaded,
             const std::function<bool()>& stopping);

}  // namespace ancm::server
