// Spawns and supervises the application's own server processes (Kestrel),
// as ANCM's out-of-process mode does.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ancm/common/page_failure.h"
#include "ancm/common/result.h"
#include "ancm/handler_abi.h"
#include "outofproc_settings.h"

namespace ancm::outofproc {

using Logger = std::function<void(ancm_log_level, const std::string&)>;
// Told each start, crash, failed start and rapid-fail change (report_event in
// handler_abi.h says what each means). Called on the manager's thread or an
// acquiring caller's, sometimes under the manager's lock: it must only count.
using EventSink = std::function<void(ancm_host_event)>;

// Why no process could serve: a 502.5 page, whose detail is the first
// 30,000 characters the process printed.
inline common::PageFailure process_start_failure(std::string reason, std::string output = {}) {
  return {{502, 5}, std::move(reason), std::move(output)};
}

// The manager is stopping: no child starts or is handed out any more.
inline common::PageFailure process_manager_stopping() {
  return process_start_failure(std::string(common::kShuttingDown));
}

// The process could not even be started (a bad processPath or arguments,
// fork or exec failing): "could not start process '<path>': <why>".
inline common::PageFailure process_not_started(const std::string& shown_path,
                                               const std::string& why) {
  return process_start_failure("could not start process '" + shown_path + "': " + why);
}

// What a child's port speaks (h2c_probe.h): fixed for the child's life.
enum class ChildProtocol : std::uint8_t {
  Http1,  // HTTP/1.1: requests go over the pooled connections
  H2c,    // HTTP/2 with prior knowledge only (Kestrel's Protocols=Http2)
};

// One running child that listens on its port.
class ChildProcess {
 public:
  virtual ~ChildProcess() = default;
  virtual pid_t pid() const = 0;
  virtual uint16_t port() const = 0;
  virtual const std::string& token() const = 0;  // MS-ASPNETCORE-TOKEN value
  virtual bool running() const = 0;
  // Known once the child is handed out (probed when it began to listen).
  virtual ChildProtocol protocol() const { return ChildProtocol::Http1; }
};

class ProcessManager {
 public:
  // A running child, or why none could be had (502.5).
  using Acquired = common::Result<std::shared_ptr<ChildProcess>, common::PageFailure>;
  using Ready = std::function<void(Acquired)>;

  ProcessManager(Settings settings, Logger log, EventSink events = {});
  ~ProcessManager();  // shutdown(), then joins its threads
  ProcessManager(const ProcessManager&) = delete;
  ProcessManager& operator=(const ProcessManager&) = delete;

  // Hands a ready child to `ready` (round-robin over processesPerApplication
  // children), starting one first if needed, or why there is none. May call
  // back inline or from the manager's own thread; never blocks the caller
  // for a start-up.
  void acquire(Ready ready);

  // Warm start: asks for a child in every processesPerApplication slot now,
  // as acquire() does for one (a running child is handed over at once, a
  // starting one is waited for). `each` is called once per slot, inline or
  // from the manager's thread, with that slot's child or why it has none.
  void start_every_slot(const Ready& each);

  // Tells the manager a child did not answer (connection refused/reset), so
  // it can check it and restart it on the next acquire.
  void report_unreachable(const std::shared_ptr<ChildProcess>& child);

  // Graceful stop of every child: POST /iisintegration shutdown event, then
  // SIGTERM to its process group, then SIGKILL after shutdownTimeLimit.
  // Blocks until all are gone. Later acquires fail.
  void shutdown();

  // How many processes were spawned so far (for logs and tests).
  std::size_t spawn_count() const;
  // The processesPerApplication slots (at least 1).
  std::size_t slot_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ancm::outofproc
