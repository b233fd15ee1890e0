// What the fields of a syntactically valid request head must mean (RFC 9112
// §3.2–3.3, §6–7): one framing of the body, one Host that agrees with the
// target, a target form the method allows. Fills in the head's form and body.
#pragma once

#include "ancm/common/result.h"
#include "request_head.h"

namespace ancm::server {

common::Result<void, HeadRejection> apply_request_head_rules(RequestHead& head);

}  // namespace ancm::server
