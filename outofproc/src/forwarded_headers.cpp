#include "forwarded_headers.h"

#include <algorithm>
#include <charconv>

#include "ancm/abi_strings.h"
#include "ancm/common/ascii.h"
#include "ancm/common/base64.h"
#include "ancm/common/http_syntax.h"
#include "random_token.h"

namespace ancm::outofproc {
namespace {

using common::iequals;
using common::istarts_with;

// Comma-separated tokens of a header value.
std::vector<std::string_view> tokens(std::string_view list) {
  std::vector<std::string_view> out;
  common::for_each_list_element(list, [&](std::string_view item) {
    out.push_back(item);
    return true;
  });
  return out;
}

// RFC 9110 §7.6.1 connection-specific fields, the framing ones the proxy
// redoes (Trailer goes with a chunked body only: see add_body_framing), and HTTP2-Settings, which
// only goes with an h2c upgrade and is connection-specific (RFC 7540 §3.2.1).
constexpr std::string_view kHopByHop[] = {"Connection",
                                          "Keep-Alive",
                                          "Proxy-Connection",
                                          "TE",
                                          "Trailer",
                                          "Transfer-Encoding",
                                          "Upgrade",
                                          "Proxy-Authenticate",
                                          "Proxy-Authorization",
                                          "HTTP2-Settings"};

bool is_hop_by_hop(std::string_view name) {
  return std::any_of(std::begin(kHopByHop), std::end(kHopByHop),
                     [&](std::string_view hop) { return iequals(name, hop); });
}

using abi::view;

// The length all Content-Length values agree on ("5" or "5, 5"), or none when
// one is not a plain number or they differ.
std::optional<uint64_t> agreed_length(const std::vector<std::string_view>& values) {
  std::optional<uint64_t> agreed;
  for (auto value : values) {
    for (auto item : tokens(value)) {
      uint64_t length = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), length);
      if (ec != std::errc{} || end != item.data() + item.size()) return std::nullopt;
      if (agreed && *agreed != length) return std::nullopt;
      agreed = length;
    }
  }
  return agreed;
}

// The protocols of an Upgrade header the child may be asked for: all but
// h2c ("h2c" or "h2c/<version>"), which Kestrel does not implement.
std::string upgrade_protocols(std::string_view upgrade) {
  std::string kept;
  for (auto protocol : tokens(upgrade)) {
    if (iequals(protocol.substr(0, protocol.find('/')), "h2c")) continue;
    kept.append(kept.empty() ? "" : ", ").append(protocol);
  }
  return kept;
}

void add_header(std::string& head, std::string_view name, std::string_view value) {
  head.append(name);
  head += ": ";
  head.append(value);
  head += "\r\n";
}

// What the client's headers say about the connection and the body.
struct HeaderFacts {
  std::vector<std::string_view> named_by_connection;
  bool upgrade_token = false;  // Connection: upgrade
  std::string_view upgrade;    // the Upgrade header
  std::vector<std::string_view> content_lengths;
  std::vector<std::string_view> transfer_codings;  // in order, across fields
  std::vector<std::string_view> trailer;           // the Trailer fields' values
};

HeaderFacts scan_headers(const ClientRequest& request) {
  HeaderFacts facts;
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Connection")) {
      for (auto token_name : tokens(value)) {
        if (iequals(token_name, "upgrade")) facts.upgrade_token = true;
        facts.named_by_connection.push_back(token_name);
      }
    } else if (iequals(name, "Upgrade")) {
      facts.upgrade = value;
    } else if (iequals(name, "Content-Length")) {
      facts.content_lengths.push_back(value);
    } else if (iequals(name, "Transfer-Encoding")) {
      for (auto coding : tokens(value)) facts.transfer_codings.push_back(coding);
    } else if (iequals(name, "Trailer")) {
      facts.trailer.push_back(value);
    }
  }
  return facts;
}

// The Transfer-Encoding for a body the proxy sends chunked: the client's
// codings when chunked is their last (the front end refuses any other), so
// the app sees what was applied to the body ("gzip, chunked"), as it would
// from Kestrel directly or in-process; else plain "chunked".
std::string chunked_transfer_encoding(const std::vector<std::string_view>& codings) {
  if (codings.empty() || !iequals(codings.back(), "chunked")) return "chunked";
  std::string kept;
  for (auto coding : codings) kept.append(kept.empty() ? "" : ", ").append(coding);
  return kept;
}

// The framing is the proxy's own: the client's Content-Length goes on only
// when it is the body's length beyond doubt, and a request without a body
// never announces one.
void add_body_framing(const HeaderFacts& facts, ForwardedRequest& out) {
  bool has_transfer_encoding = !facts.transfer_codings.empty();
  auto declared = has_transfer_encoding ? std::nullopt : agreed_length(facts.content_lengths);
  if (out.has_body && declared) {
    out.content_length = declared;
    add_header(out.head, "Content-Length", std::to_string(*declared));
  } else if (out.has_body) {
    out.chunked_body = true;
    add_header(out.head, "Transfer-Encoding", chunked_transfer_encoding(facts.transfer_codings));
    // The trailers announced come after the last chunk, which the proxy
    // forwards with them: the app sees the announcement as Kestrel gives it.
    for (auto value : facts.trailer) add_header(out.head, "Trailer", value);
  } else if (!facts.content_lengths.empty()) {
    add_header(out.head, "Content-Length", "0");
  }
}

}  // namespace

ClientRequest read_client_request(const ancm_request_api& api, ancm_request* request) {
  ClientRequest client;
  client.method = view(api.method(request));
  client.target = view(api.target(request));
  const ancm_kv* headers = api.headers(request);
  for (size_t i = 0; i < api.header_count(request); ++i) {
    client.headers.emplace_back(view(headers[i].name), view(headers[i].value));
  }
  client.remote_address = view(api.remote_address(request));
  client.remote_port = api.remote_port(request);
  client.local_address = view(api.local_address(request));
  client.local_port = api.local_port(request);
  client.is_tls = api.is_tls(request) != 0;
  ancm_tls_info tls{};
  if (client.is_tls && ANCM_ABI_HAS(ancm_request_api, &api, tls_info) && api.tls_info &&
      api.tls_info(request, &tls) == 0 && tls.client_certificate) {
    client.client_certificate = {tls.client_certificate, tls.client_certificate_len};
  }
  client.has_body = api.has_body(request) != 0;
  client.http_version = api.http_version(request) == 10 ? 10 : 11;
  if (ANCM_ABI_HAS(ancm_request_api, &api, connect_protocol) && api.connect_protocol) {
    client.connect_protocol = view(api.connect_protocol(request));
  }
  return client;
}

void for_each_forwarded_field(const ClientRequest& request, std::string_view token,
                              const FieldVisitor& visit) {
  HeaderFacts facts = scan_headers(request);
  std::string forwarded_for, forwarded_proto;
  for (const auto& [name, value] : request.headers) {
    if (is_hop_by_hop(name) || istarts_with(name, "MS-ASPNETCORE-") || iequals(name, "Expect") ||
        iequals(name, "Content-Length")) {
      continue;
    }
    // An HTTP/2 WebSocket goes as an HTTP/1.1 Upgrade with a key of our own
    // (forward_request_head): a client's key would be a second one.
    if (iequals(name, "Sec-WebSocket-Key") && is_websocket_connect(request)) continue;
    // A field the client names in Connection stops here, but never Host: the
    // app must see the Host the front end checked, as it does in-process.
    if (!iequals(name, "Host") &&
        std::any_of(facts.named_by_connection.begin(), facts.named_by_connection.end(),
                    [&](std::string_view named) { return iequals(named, name); })) {
      continue;
    }
    if (iequals(name, "X-Forwarded-For")) {
      forwarded_for.append(forwarded_for.empty() ? "" : ", ").append(value);
      continue;
    }
    if (iequals(name, "X-Forwarded-Proto")) {
      forwarded_proto.append(forwarded_proto.empty() ? "" : ", ").append(value);
      continue;
    }
    visit(name, value);
  }
  // A client over a Unix domain socket has no IP to add (nginx would write
  // "unix:", which the app's ForwardedHeadersMiddleware cannot parse and stops
  // at): what the client sent goes on as it is, so a front proxy on the same
  // machine is believed, as only processes the socket file's mode admits can
  // connect. Without it the field is left out and the app sees the proxy's
  // own address, as Kestrel shows no address for such a client. A TCP client
  // whose address is unknown (it reset the connection before it was asked)
  // is not a Unix one: its own field is dropped, never believed.
  bool unix_peer = request.remote_address.empty() && request.local_address.empty();
  if (unix_peer) {
    if (!forwarded_for.empty()) visit("X-Forwarded-For", forwarded_for);
  } else if (request.remote_address.empty()) {
    // nothing to add, and nothing of the client's to pass on
  } else {
    bool v6 = request.remote_address.find(':') != std::string_view::npos;
    std::string client = (v6 ? "[" : "") + std::string(request.remote_address) + (v6 ? "]" : "") +
                         ":" + std::to_string(request.remote_port);
    visit("X-Forwarded-For", forwarded_for.empty() ? client : forwarded_for + ", " + client);
  }
  std::string_view scheme = request.is_tls ? "https" : "http";
  visit("X-Forwarded-Proto", forwarded_proto.empty()
                                 ? std::string(scheme)
                                 : forwarded_proto + ", " + std::string(scheme));
  visit("MS-ASPNETCORE-TOKEN", token);
  // As ANCM does whenever IIS negotiated a client certificate.
  if (!request.client_certificate.empty()) {
    visit(kClientCertificateField, common::base64_encoded(request.client_certificate));
  }
}

ForwardedRequest build_forwarded_request(const ClientRequest& request, std::string_view token) {
  ForwardedRequest out;
  out.has_body = request.has_body;
  // Methods are case-sensitive: "head" is not HEAD to the front end or to
  // Kestrel, so its response has a body that must be read.
  out.is_head = request.method == "HEAD";

  HeaderFacts facts = scan_headers(request);
  std::string protocols = facts.upgrade_token ? upgrade_protocols(facts.upgrade) : std::string();
  bool websocket_connect = is_websocket_connect(request);
  if (websocket_connect) protocols = "websocket";
  bool http10 = request.http_version == 10;
  // An HTTP/1.0 Upgrade is ignored (RFC 9110 §7.8: such a client cannot be
  // sent a 101), as the in-process front end does.
  out.is_upgrade = !protocols.empty() && !out.has_body && !http10;

  out.head.reserve(512);
  out.head.append(websocket_connect ? std::string_view("GET") : request.method);
  out.head += ' ';
  out.head.append(request.target);
  out.head += http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
  for_each_forwarded_field(request, token, [&](std::string_view name, std::string_view value) {
    add_header(out.head, name, value);
  });
  add_body_framing(facts, out);
  // HTTP/1.0 closes after each response unless asked not to.
  if (http10) add_header(out.head, "Connection", "keep-alive");
  if (out.is_upgrade) {
    add_header(out.head, "Connection", "Upgrade");
    add_header(out.head, "Upgrade", protocols);
    if (websocket_connect) add_header(out.head, "Sec-WebSocket-Key", new_websocket_key());
  }
  out.head += "\r\n";
  return out;
}

bool is_websocket_connect(const ClientRequest& request) {
  return request.method == "CONNECT" && iequals(request.connect_protocol, "websocket");
}

bool forward_response_header(std::string_view name, int status, bool forward_connection) {
  if (iequals(name, "Connection")) return forward_connection || status == 101;
  if (iequals(name, "Upgrade")) return status == 101;
  // The app's announcement of its trailers reaches the client as from
  // Kestrel; the trailer fields themselves do not yet (ProxyExchange::end_response).
  if (iequals(name, "Trailer")) return true;
  return !is_hop_by_hop(name);
}

}  // namespace ancm::outofproc
