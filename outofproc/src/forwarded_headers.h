// What the proxy sends to the child and hands back to the client: the
// request head with ANCM's headers, and the response headers less the
// hop-by-hop ones.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ancm/handler_abi.h"

namespace ancm::outofproc {

struct ForwardedRequest {
  std::string head;  // request line + headers + blank line
  bool has_body = false;
  // How the head frames the body for the child: the length the client
  // declared (the proxy sends exactly that many bytes or gives up the
  // connection), or chunked when the client's length is absent or unclear.
  std::optional<uint64_t> content_length;
  bool chunked_body = false;
  // An upgrade (e.g. WebSocket) is asked of the child. Never for a request
  // with a body, nor for h2c alone: those go as plain requests.
  bool is_upgrade = false;
  bool is_head = false;  // HEAD: the response has no body
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
  // The certificate the client gave in its TLS handshake (DER), empty when
  // none; valid as long as the request's other spans.
  std::span<const std::uint8_t> client_certificate;
  bool has_body = false;
  int http_version = 11;  // 10 or 11 (HTTP/2 is sent as 11)
  // An HTTP/2 extended CONNECT's :protocol (RFC 8441), else empty.
  std::string_view connect_protocol;
};

// The field ANCM hands the client's certificate to the app in: base64 of its
// DER, which the app's IIS integration (IISMiddleware, ForwardClientCertificate,
// on by default) turns into HttpContext.Connection.ClientCertificate.
inline constexpr std::string_view kClientCertificateField = "MS-ASPNETCORE-CLIENTCERT";

// Reads the request through the request API.
ClientRequest read_client_request(const ancm_request_api& api, ancm_request* request);

// The header fields the child gets, whatever the protocol: the client's,
// less the hop-by-hop ones (and those its Connection field names, Host
// excepted), client MS-ASPNETCORE-*, Expect and Content-Length (framing is
// the protocol's); then X-Forwarded-For ("ip:port", appended; a client over a
// Unix domain socket has no IP: the client's own field goes on unchanged, or
// none), X-Forwarded-Proto (appended), MS-ASPNETCORE-TOKEN and, when the
// client gave a certificate in its TLS handshake, MS-ASPNETCORE-CLIENTCERT (a
// client's own field of that name is always dropped with the other
// MS-ASPNETCORE-* ones, so the app never sees a forged certificate). Host
// stays (HTTP/2 makes it :authority).
using FieldVisitor = std::function<void(std::string_view name, std::string_view value)>;
void for_each_forwarded_field(const ClientRequest& request, std::string_view token,
                              const FieldVisitor& visit);

// Sent in the client's HTTP version, as ANCM does (WinHTTP sends the
// request's HTTP_VERSION): the app sees HTTP/1.0 and, when an HTTP/1.0
// client sent none, no Host, as on Kestrel directly; an HTTP/1.0 request
// asks for keep-alive so the pooled connection can live on.
// Host kept; client MS-ASPNETCORE-* dropped and MS-ASPNETCORE-TOKEN added;
// X-Forwarded-For ("ip:port") and X-Forwarded-Proto appended; hop-by-hop
// headers (and those the Connection header names, and HTTP2-Settings)
// dropped; Expect dropped (the proxy reads the body anyway); body framing
// redone from has_body: the client's Content-Length when it is the body's
// length beyond doubt, else chunked, keeping the codings a client's
// Transfer-Encoding applied before chunked (the app must see
// "gzip, chunked" to know the body is gzip; the front end took the chunks off).
//
// Upgrades: the h2c token is dropped (Kestrel has no HTTP/1.1 -> HTTP/2
// upgrade), and a request with a body is sent as a plain request, as Kestrel
// itself treats it (it ignores Connection: Upgrade when there is a body,
// dotnet/aspnetcore#27921): the child then reads the body as a body, and no
// byte of it can be taken for the start of a tunnel or of the next request.
//
// WebSockets over HTTP/2 (an extended CONNECT, :protocol websocket, RFC 8441)
// go to the HTTP/1.1 child as the RFC 6455 handshake it knows, as Envoy
// translates them: GET, Connection: Upgrade, Upgrade: websocket and a fresh
// Sec-WebSocket-Key (the client's Sec-WebSocket-Version and -Protocol go on as
// they came); the child's 101 goes to the client as HTTP/2's 200.
ForwardedRequest build_forwarded_request(const ClientRequest& request, std::string_view token);

// An HTTP/2 WebSocket (extended CONNECT with :protocol websocket, RFC 8441).
bool is_websocket_connect(const ClientRequest& request);

// Whether a response header from the child goes to the client. Connection is
// kept only when forwardResponseConnectionHeader is set; Upgrade only for 101.
bool forward_response_header(std::string_view name, int status, bool forward_connection);

}  // namespace ancm::outofproc
