// Steady load for the lifecycle tests: several keep-alive connections that
// each send a request at a fixed pace, reconnecting only when the server
// says "Connection: close", and counting every failure.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tls_client.h"

namespace ancm::test {

class LoadClient {
 public:
  LoadClient(uint16_t port, std::string target, int connections,
             std::chrono::milliseconds pace = std::chrono::milliseconds(20));
  // The same over TLS: each connection (and each reconnection) a handshake.
  LoadClient(uint16_t port, std::string target, int connections, TlsClientOptions tls,
             std::chrono::milliseconds pace = std::chrono::milliseconds(20));
  ~LoadClient();  // stops and joins

  void stop();
  long succeeded() const { return succeeded_; }
  long failed() const { return failed_; }
  // How often each response body was seen, and the first failures' reasons.
  std::map<std::string, long> bodies() const;
  std::vector<std::string> failures() const;
  // The last body seen by any connection.
  std::string last_body() const;
  // Per client (one keep-alive connection, reopened when the server closes
  // it), the bodies it saw in order, each run of equal bodies once: a client
  // that saw "a" then "b" has {"a", "b"}.
  std::vector<std::vector<std::string>> body_changes() const;
  // Waits until `count` more requests than now have succeeded.
  bool serve_more(long count, std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  void start(int connections);
  template <class Connection, class Connect>
  void run(std::stop_token stop, std::size_t client, Connect connect);
  void count(std::size_t client, const std::optional<HttpResponse>& response, bool connected);

  uint16_t port_;
  std::string target_;
  std::chrono::milliseconds pace_;
  std::optional<TlsClientOptions> tls_;
  std::atomic<long> succeeded_{0}, failed_{0};
  mutable std::mutex mutex_;
  std::map<std::string, long> bodies_;
  std::vector<std::string> failures_;
  std::string last_body_;
  std::vector<std::vector<std::string>> body_changes_;
  std::vector<std::jthread> threads_;
};

}  // namespace ancm::test
