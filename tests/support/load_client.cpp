#include "load_client.h"

#include <memory>

#include "host_process.h"
#include "http_client.h"

namespace ancm::test {

LoadClient::LoadClient(uint16_t port, std::string target, int connections,
                       std::chrono::milliseconds pace)
    : port_(port),
      target_(std::move(target)),
      pace_(pace),
      body_changes_(static_cast<std::size_t>(connections)) {
  for (std::size_t i = 0; i < body_changes_.size(); ++i) {
    threads_.emplace_back([this, i](std::stop_token stop) { run(stop, i); });
  }
}

LoadClient::~LoadClient() { stop(); }

void LoadClient::stop() {
  for (auto& thread : threads_) thread.request_stop();
  threads_.clear();  // joins
}

std::map<std::string, long> LoadClient::bodies() const {
  std::lock_guard lock(mutex_);
  return bodies_;
}

std::vector<std::string> LoadClient::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

std::string LoadClient::last_body() const {
  std::lock_guard lock(mutex_);
  return last_body_;
}

std::vector<std::vector<std::string>> LoadClient::body_changes() const {
  std::lock_guard lock(mutex_);
  return body_changes_;
}

bool LoadClient::serve_more(long count, std::chrono::milliseconds timeout) const {
  const long target = succeeded_ + count;
  return eventually([&] { return succeeded_ >= target; }, timeout);
}

void LoadClient::run(std::stop_token stop, std::size_t client) {
  std::unique_ptr<HttpConnection> connection;
  while (!stop.stop_requested()) {
    auto next = std::chrono::steady_clock::now() + pace_;
    if (!connection || !connection->connected()) {
      connection = std::make_unique<HttpConnection>(port_);
    }
    std::string failure;
    if (!connection->connected()) {
      failure = "connect failed";
    } else {
      connection->send(get_request(target_));
      auto response = connection->read_response(std::chrono::seconds(30));
      if (!response) {
        failure = "no response (connection closed or reset)";
      } else if (response->status != 200) {
        failure = "status " + std::to_string(response->status);
      } else {
        succeeded_++;
        std::lock_guard lock(mutex_);
        bodies_[response->body]++;
        last_body_ = response->body;
        auto& changes = body_changes_[client];
        if (changes.empty() || changes.back() != response->body) changes.push_back(response->body);
      }
      if (response && !response->keep_alive) connection.reset();
    }
    if (!failure.empty()) {
      failed_++;
      connection.reset();
      std::lock_guard lock(mutex_);
      if (failures_.size() < 20) failures_.push_back(failure);
    }
    std::this_thread::sleep_until(next);
  }
}

}  // namespace ancm::test
