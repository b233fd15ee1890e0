// Request bytes the end-to-end tests send: bodies, chunked uploads, and a
// minimal WebSocket client's handshake and frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "http_client.h"

namespace ancm::test {

// Deterministic bytes of every value.
std::string random_bytes(std::size_t size, unsigned seed = 42);

// "POST <target>" with Content-Length, or chunked in pieces of `piece` bytes.
std::string fixed_length_post(const std::string& target, const std::string& body);
std::string chunked_post(const std::string& target, const std::string& body, std::size_t piece);

// Sends the request while reading the response (an echo answers while the
// upload is still going) and returns the response.
std::optional<HttpResponse> exchange(uint16_t port, std::string request);

// The upgrade request for `path` (key "dGhlIHNhbXBsZSBub25jZQ==", whose
// accept value is "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").
std::string websocket_upgrade(const std::string& path);
// A masked FIN text frame, as clients send; text shorter than 126 bytes.
std::string websocket_text_frame(const std::string& text);

}  // namespace ancm::test
