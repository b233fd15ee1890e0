// A client's request as it goes to a child over HTTP/2 (RFC 9113 §8.3):
// the pseudo-header fields from the request line and Host, then the same
// fields the HTTP/1.1 path forwards (forwarded_headers.h), names lower-cased.
#pragma once

#include <optional>
#include <string_view>

#include "forwarded_headers.h"
#include "upstream_h2_sink.h"

namespace ancm::outofproc {

// :method, :scheme (https when the client came over TLS), :authority (the
// Host field), :path (the raw target); no Host (it is :authority now) and no
// connection-specific field (those for_each_forwarded_field drops, TE
// included); "te: trailers" when the client's TE offered trailers;
// content-length when the client's length is certain (`content_length`).
// An HTTP/1.1 upgrade request goes as a plain request: HTTP/2 has no 101,
// and the app answers it as it answers a request without the upgrade. An
// HTTP/2 WebSocket (extended CONNECT, RFC 8441) goes as one: :method CONNECT,
// :protocol websocket, and a stream that stays open for the tunnel's DATA
// (extended_connect, has_body).
H2RequestHead build_h2_request(const ClientRequest& request, std::string_view token,
                               std::optional<std::uint64_t> content_length);

}  // namespace ancm::outofproc
