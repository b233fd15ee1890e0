// The server side of a TLS handshake on an accepted socket, before any
// protocol sees the connection.
#pragma once

#include <chrono>
#include <functional>

#include "client_stream.h"
#include "strand.h"
#include "tls_context.h"

namespace ancm::server {

using HandshakeDone = std::function<void(ClientStream)>;

// Runs the handshake on strand, bounded by timeout; done gets the stream once
// it succeeded. A failure (garbage, a refused certificate, the timeout) is
// logged at debug with the peer and the socket closed; done is not called.
void handshake_then(const Strand& strand, ClientStream::Socket accepted, TlsContexts& contexts,
                    std::chrono::seconds timeout, HandshakeDone done);

}  // namespace ancm::server
