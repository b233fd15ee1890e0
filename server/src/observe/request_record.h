// One request as the access log and the metrics see it once it ended,
// whichever protocol carried it (HTTP/1.x, an HTTP/2 stream, TLS or not) and
// whoever answered it (the app, the shim's error pages, the front end's own
// 400/413/414/...). Built in one place (request_observer.cpp); the views
// point into the request and are valid only during the call that gets it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

namespace ancm::server {

struct RequestRecord {
  std::chrono::system_clock::time_point ended;
  std::chrono::steady_clock::duration duration{};  // from the head's dispatch to the end
  // Empty for a head the front end refused before it had a request line.
  std::string_view method, path, query;
  int http_version = 11;  // 10, 11 or 20
  int status = 0;
  int substatus = 0;                     // ANCM's page code: 30 for 500.30, 5 for 502.5; else 0
  std::string_view user_agent, referer;  // empty when the client sent none
  std::string_view remote_address;       // empty for a unix: peer
  std::string_view local_address;
  uint16_t local_port = 0;
  uint64_t bytes_received = 0;  // request body bytes the handler read
  uint64_t bytes_sent = 0;      // response body bytes the handler wrote
  bool tls = false;
};

}  // namespace ancm::server
