// The clean end of a TLS connection, once its protocol is done with it:
// close_notify, so the client knows nothing was cut short (a response
// delimited by the close, RFC 9112 section 9.8), then a FIN, then what the
// client still sends is discarded until its EOF, so that closing does not
// reset the connection before the client read the last response. At most
// `linger` in all; then the socket is closed, whatever the client does.
#pragma once

#include <chrono>

#include "client_stream.h"

namespace ancm::server {

// Takes the stream (no read or write may be pending on it) and lives on its
// own, on the stream's executor, until the socket is closed.
void close_tls_gracefully(ClientStream::TlsStream stream,
                          std::chrono::steady_clock::duration linger);

}  // namespace ancm::server
