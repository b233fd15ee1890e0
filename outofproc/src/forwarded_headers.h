// What the proxy sends to the child and hands back to the client: the
// request head with ANCM's headers, and the response headers less the
// hop-by-hop ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ancm/handler_abi.h"

namespace ancm::outofproc {

struct ForwardedRequest {
  std::string head;           // request line + headers + blank line
  bool chunked_body = false;  // the client's body is re-sent chunked
  bool has_body = false;
  bool is_upgrade = false;  // a WebSocket (or other) upgrade is asked for
  bool is_head = false;     // HEAD: the response has no body
};

struct ClientRequest {
  std::string_view method;
  std::string_view target;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view remote_address;
  uint16_t remote_port = 0;
  std::string_view local_address;
  uint16_t local_port = 0;
  bool is_tls = false;
  bool has_body = false;
};

// Reads the request through the request API.
ClientRequest read_client_request(const ancm_request_api& api, ancm_request* request);

// Host kept; client MS-ASPNETCORE-* dropped and MS-ASPNETCORE-TOKEN added;
// X-Forwarded-For ("ip:port") and X-Forwarded-Proto appended; hop-by-hop
// headers (and those the Connection header names) dropped; Expect dropped
// (the proxy reads the body anyway); body framing redone.
ForwardedRequest build_forwarded_request(const ClientRequest& request, std::string_view token);

// Whether a response header from the child goes to the client. Connection is
// kept only when forwardResponseConnectionHeader is set; Upgrade only for 101.
bool forward_response_header(std::string_view name, int status, bool forward_connection);

}  // namespace ancm::outofproc
