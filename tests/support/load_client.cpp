#include "load_client.h"

#include <memory>

#include "host_process.h"
#include "http_client.h"

namespace ancm::test {

LoadClient::LoadClient(uint16_t port, std::string target, int connections,
                       std::chrono::milliseconds pace)
    : port_(port), target_(std::move(target)), pace_(pace) {
  start(connections);
}

LoadClient::LoadClient(uint16_t port, std::string target, int connections, TlsClientOptions tls,
                       std::chrono::milliseconds pace)
    : port_(port), target_(std::move(target)), pace_(pace), tls_(std::move(tls)) {
  start(connections);
}

void LoadClient::start(int connections) {
  body_changes_.resize(static_cast<std::size_t>(connections));
  for (std::size_t i = 0; i < body_changes_.size(); ++i) {
    threads_.emplace_back([this, i](std::stop_token stop) {
      if (tls_) {
        return run<TlsConnection>(stop, i,
                                  [this] { return std::make_unique<TlsConnection>(port_, *tls_); });
      }
      run<HttpConnection>(stop, i, [this] { return std::make_unique<HttpConnection>(port_); });
    });
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

template <class Connection, class Connect>
void LoadClient::run(std::stop_token stop, std::size_t client, Connect connect) {
  std::unique_ptr<Connection> connection;
  while (!stop.stop_requested()) {
    auto next = std::chrono::steady_clock::now() + pace_;
    if (!connection || !connection->connected()) connection = connect();
    std::optional<HttpResponse> response;
    bool connected = connection->connected();
    if (connected) {
      connection->send(get_request(target_));
      response = connection->read_response(std::chrono::seconds(30));
    }
    count(client, response, connected);
    if (!response || response->status != 200 || !response->keep_alive) connection.reset();
    std::this_thread::sleep_until(next);
  }
}

void LoadClient::count(std::size_t client, const std::optional<HttpResponse>& response,
                       bool connected) {
  std::string failure;
  if (!connected) {
    failure = "connect failed";
  } else if (!response) {
    failure = "no response (connection closed or reset)";
  } else if (response->status != 200) {
    failure = "status " + std::to_string(response->status);
  }
  std::lock_guard lock(mutex_);
  if (!failure.empty()) {
    failed_++;
    if (failures_.size() < 20) failures_.push_back(failure);
    return;
  }
  succeeded_++;
  bodies_[response->body]++;
  last_body_ = response->body;
  auto& changes = body_changes_[client];
  if (changes.empty() || changes.back() != response->body) changes.push_back(response->body);
}

}  // namespace ancm::test
