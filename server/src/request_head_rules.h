// What the fields of a syntactically valid request head must mean (RFC 9112
// §3.2–3.3, §6–7): one framing of the body, one Host that agrees with the
// target, a target form the method allows. Fills in the head's form and body.
// One rule set for both front ends: HTTP/1.1 heads (request_head.cpp) and
// HTTP/2 streams (http2_stream.cpp, RFC 9113 §8.3), whose framing nghttp2
// already checked but whose target, Host, :authority and method are ours.
#pragma once

#include "ancm/common/result.h"
#include "request_head.h"

namespace ancm::server {

// The request-target on its own (RFC 9112 §3.2): not over max_uri_bytes
// (414), not empty, no whitespace or control characters.
common::Result<void, HeadRejection> check_request_target(std::string_view target,
                                                         const HeadLimits& limits);

common::Result<void, HeadRejection> apply_request_head_rules(RequestHead& head,
                                                             const HeadLimits& limits);

}  // namespace ancm::server
