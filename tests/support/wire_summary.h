// What a client received on the wire, as text two servers' answers can be
// compared by: the status code, the header fields, the body's framing, the
// decoded body and trailers, and whether the body arrived whole.
#pragma once

#include <set>
#include <string>

namespace ancm::test {

// Summarises raw response bytes (one response, read until the server closed
// or reset the connection). head_request: the response has no body.
// Header fields named in `ignored` (lower case) are left out.
std::string summarize_wire(const std::string& raw, bool head_request,
                           const std::set<std::string>& ignored);

}  // namespace ancm::test
