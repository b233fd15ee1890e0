#include "h2_request_head.h"

#include <string>

#include "ancm/common/ascii.h"
#include "ancm/common/http_syntax.h"

namespace ancm::outofproc {
namespace {

using common::iequals;

std::string_view host_of(const ClientRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (iequals(name, "Host")) return value;
  }
  return {};
}

// TE is connection-specific, but its "trailers" is the one value HTTP/2
// carries (RFC 9113 §8.2.2): gRPC needs it.
bool offers_trailers(const ClientRequest& request) {
  bool offered = false;
  for (const auto& [name, value] : request.headers) {
    if (!iequals(name, "TE")) continue;
    common::for_each_list_element(value, [&](std::string_view coding) {
      offered = offered || iequals(coding.substr(0, coding.find(';')), "trailers");
      return true;
    });
  }
  return offered;
}

}  // namespace

H2RequestHead build_h2_request(const ClientRequest& request, std::string_view token,
                               std::optional<std::uint64_t> content_length) {
  H2RequestHead head;
  // An HTTP/2 WebSocket stays one (RFC 8441): the stream is the tunnel, so
  // its HEADERS never end it, whatever has_body says.
  head.extended_connect = is_websocket_connect(request);
  head.has_body = request.has_body || head.extended_connect;
  H2Fields& fields = head.fields;
  fields.reserve(request.headers.size() + 8);
  fields.emplace_back(":method", std::string(request.method));
  // The scheme of the hop to the child, which is cleartext: Kestrel resets a
  // stream whose :scheme is not its transport's. The client's scheme goes as
  // X-Forwarded-Proto, as on the HTTP/1.1 path.
  fields.emplace_back(":scheme", "http");
  std::string_view authority = host_of(request);
  if (!authority.empty()) fields.emplace_back(":authority", std::string(authority));
  fields.emplace_back(":path", std::string(request.target));
  if (head.extended_connect) fields.emplace_back(":protocol", "websocket");
  for_each_forwarded_field(request, token, [&](std::string_view name, std::string_view value) {
    if (!iequals(name, "Host"))
      fields.emplace_back(common::ascii_lowered(name), std::string(value));
  });
  if (offers_trailers(request)) fields.emplace_back("te", "trailers");
  if (request.has_body && content_length && !head.extended_connect) {
    fields.emplace_back("content-length", std::to_string(*content_length));
  }
  return head;
}

}  // namespace ancm::outofproc
