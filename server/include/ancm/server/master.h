// The master: owns the listening sockets and supervises one worker.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "ancm/server/options.h"

namespace ancm::server {

// The fixed parts of the master's log lines that people, scripts and the
// tests look for.
// "worker 12 was killed by signal 9 (Killed) after 80 ms; starting a new worker in 100 ms"
inline constexpr std::string_view kStartingANewWorker = "starting a new worker";
// "the worker crashed 3 times in a row ...; serving the start-up error page until ..."
inline constexpr std::string_view kServingTheStartFailurePage =
    "serving the start-up error page until web.config or the app changes";
// "worker 12 is ready": the worker serves, and its application runs (or, out
// of process with handlerSetting warmStart false, starts on its first request).
inline constexpr std::string_view kWorkerIsReady = "is ready";
// "worker 12 is up, but the application failed to start: requests get its
// error page" (or app_offline.htm, a broken web.config, still starting).
inline constexpr std::string_view kWorkerIsUp = "is up";
// What the master prints for each listening socket: "ancm-host: listening on
// http://127.0.0.1:8080".
inline constexpr char kListeningOn[] = "listening on ";
// What the master prints for the admin listener: "ancm-host: admin (/metrics,
// /healthz) on http://127.0.0.1:9100".
inline constexpr char kAdminOn[] = "admin (/metrics, /healthz) on ";
// "SIGUSR1: reopening the access log in 2 worker(s)"
inline constexpr std::string_view kReopeningAccessLog = "reopening the access log";
// "recycled (web.config changed): worker 12 -> worker 13, switched in 420 ms"
inline std::string recycled_because(std::string_view reason) {
  return "recycled (" + std::string(reason) + ")";
}

// Binds, starts the worker, restarts it when it dies, and stops everything
// on SIGTERM/SIGINT. Returns the process exit code. ancm_host is the binary
// whose `worker` (and `check-certificates`) commands the master runs: the
// master is a program of its own (ancm-host-master, master_launch.h), which
// maps none of the worker's code and libraries.
int run_master(const MasterOptions& options, const std::filesystem::path& ancm_host);

}  // namespace ancm::server
