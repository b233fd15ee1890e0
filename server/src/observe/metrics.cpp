#include "observe/metrics.h"

#include <algorithm>
#include <cstdio>

namespace ancm::server {
namespace {

constexpr std::array<const char*, 2> kModelNames = {"inprocess", "outofprocess"};

uint64_t read(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
}

void sample(std::string& out, const std::string& name, const std::string& labels,
            const std::string& value) {
  out += name;
  if (!labels.empty()) out += '{' + labels + '}';
  out += ' ' + value + '\n';
}

}  // namespace

Metrics::Metrics(std::chrono::system_clock::time_point started, uint64_t recycles)
    : start_seconds_(std::chrono::duration<double>(started.time_since_epoch()).count()),
      recycles_(recycles) {}

void Metrics::request_ended(const RequestRecord& record, ModelLabel model) {
  auto& m = models_[static_cast<std::size_t>(model)];
  int status_class = std::clamp(record.status / 100, 1, 5);
  m.by_class[static_cast<std::size_t>(status_class - 1)].fetch_add(1, std::memory_order_relaxed);
  double seconds = std::chrono::duration<double>(record.duration).count();
  auto bucket = std::lower_bound(kBuckets.begin(), kBuckets.end(), seconds) - kBuckets.begin();
  m.bucket[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(record.duration).count();
  m.duration_microseconds.fetch_add(static_cast<uint64_t>(std::max<long long>(micros, 0)),
                                    std::memory_order_relaxed);
  m.count.fetch_add(1, std::memory_order_relaxed);
  bytes_received_.fetch_add(record.bytes_received, std::memory_order_relaxed);
  bytes_sent_.fetch_add(record.bytes_sent, std::memory_order_relaxed);
}

std::string Metrics::exposition(const MetricsGauges& gauges) const {
  std::string out;
  family(out, "ancm_requests_total", "counter",
         "Requests answered (by the app or by the host), by hostingModel and status class.");
  for (std::size_t model = 0; model < models_.size(); ++model) {
    for (std::size_t c = 0; c < 5; ++c) {
      sample(out, "ancm_requests_total",
             std::string("hosting_model=\"") + kModelNames[model] + "\",code=\"" +
                 std::to_string(c + 1) + "xx\"",
             std::to_string(read(models_[model].by_class[c])));
    }
  }
  family(out, "ancm_request_duration_seconds", "histogram",
         "Time from a request's dispatch to its end.");
  for (std::size_t model = 0; model < models_.size(); ++model) {
    const auto& m = models_[model];
    std::string label = std::string("hosting_model=\"") + kModelNames[model] + "\"";
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += read(m.bucket[b]);
      std::string le = b < kBuckets.size() ? number(kBuckets[b]) : "+Inf";
      sample(out, "ancm_request_duration_seconds_bucket", label + ",le=\"" + le + "\"",
             std::to_string(cumulative));
    }
    sample(out, "ancm_request_duration_seconds_sum", label,
           number(static_cast<double>(read(m.duration_microseconds)) / 1e6));
    sample(out, "ancm_request_duration_seconds_count", label, std::to_string(cumulative));
  }
  family(out, "ancm_connections", "gauge",
         "Open client connections: active (a request in a handler) or idle.");
  auto open = static_cast<int64_t>(gauges.open_connections);
  auto busy = std::clamp<int64_t>(busy_connections_.load(std::memory_order_relaxed), 0, open);
  sample(out, "ancm_connections", "state=\"active\"", std::to_string(busy));
  sample(out, "ancm_connections", "state=\"idle\"", std::to_string(open - busy));
  family(out, "ancm_received_bytes_total", "counter", "Request body bytes read.");
  sample(out, "ancm_received_bytes_total", "", std::to_string(read(bytes_received_)));
  family(out, "ancm_sent_bytes_total", "counter", "Response body bytes written.");
  sample(out, "ancm_sent_bytes_total", "", std::to_string(read(bytes_sent_)));
  family(out, "ancm_worker_recycles_total", "counter",
         "Worker recycles the master made before this worker started.");
  sample(out, "ancm_worker_recycles_total", "", std::to_string(recycles_));
  // Out-of-process children; always present (0 in-process), so a rule on
  // them never meets an absent series.
  const ChildCounts& children = gauges.children;
  family(out, "ancm_child_starts_total", "counter",
         "Child processes started out-of-process (restarts included).");
  sample(out, "ancm_child_starts_total", "", std::to_string(children.starts));
  family(out, "ancm_child_crashes_total", "counter",
         "Child processes that exited unasked after they had started listening.");
  sample(out, "ancm_child_crashes_total", "", std::to_string(children.crashes));
  family(out, "ancm_child_start_failures_total", "counter",
         "Child starts that failed (not spawned, exited during start-up, or not listening in "
         "time).");
  sample(out, "ancm_child_start_failures_total", "", std::to_string(children.start_failures));
  family(out, "ancm_rapid_fail_blocked", "gauge",
         "1 while rapidFailsPerMinute protection refuses to start the app's process.");
  sample(out, "ancm_rapid_fail_blocked", "", children.rapid_fail_blocked ? "1" : "0");
  family(out, "ancm_app_state", "gauge", "The application's state: 1 for the current one.");
  for (AppState state : shim::kAppStates) {
    sample(out, "ancm_app_state", std::string("state=\"") + shim::to_string(state) + "\"",
           state == gauges.app_state ? "1" : "0");
  }
  family(out, "process_start_time_seconds", "gauge",
         "When this worker started, seconds since the epoch (its counters start at 0 then).");
  char start[32];
  std::snprintf(start, sizeof start, "%.3f", start_seconds_);
  sample(out, "process_start_time_seconds", "", start);
  return out;
}

}  // namespace ancm::server
