// The explicit state of a front-end Connection (connection.h), in the spirit
// of Kestrel's RequestProcessingStatus: what the socket is used for, who owns
// the current request, how far its response went. Each is one value at a
// time, and every change is checked against the table of legal ones
// (is_legal, connection_state.cpp); a change the table lacks is a bug, which
// the Connection logs and answers by closing. No I/O here: pure and testable.
#pragma once

#include <cstdint>
#include <string_view>

namespace ancm::server {

// What the connection's socket carries. Moved only on the connection's strand.
enum class ConnectionPhase : std::uint8_t {
  Idle,            // between requests, nothing buffered: the watch's read is the keep-alive wait
  ReadingHead,     // a request head's bytes are read and checked (header timeout)
  InRequest,       // a request is served: its body is read, its response written
  Upgrading,       // the handler asked for an upgrade: the 101 goes out next
  Upgraded,        // a raw stream (WebSockets): no more HTTP on it
  Resuming,        // the request ended while the watch's read was pending: it was
                   // cancelled, and reading goes on when it ends
  DiscardingBody,  // the rest of a body the handler did not read is read and dropped
  Closing,         // FIN sent: what the client still sends is dropped until EOF
  Closed,          // the socket is closed
};

// Who owns the current request. Moved only on the connection's strand. Apart
// from ConnectionPhase: the socket can close while a handler still owns its
// request, and an upgraded connection's request ends when the handler says.
enum class RequestPhase : std::uint8_t {
  None,        // no request (between requests, or after the last one ended)
  InHandler,   // the handler owns it: from dispatch until complete() or abort()
  Completing,  // complete()/abort() came (or the server answers a broken head):
               // the response's end goes out, then the request ends
};

// How far the current response went. Written on the strand under the
// connection's head lock (handler threads read it there to set the head).
enum class ResponseProgress : std::uint8_t {
  NotStarted,        // no request
  HeadOpen,          // the handler may still set the status and headers
  ServerAnswer,      // the server's own short answer replaced the head (a broken
                     // head, a refused body): it goes out next, the handler's writes are refused
  ServerAnswerSent,  // that answer's head is out (or in the write under way)
  HeadSent,          // the handler's head is out (or in the write under way)
  LastChunkSent,     // a chunked body's last chunk is out: nothing can follow
};

// The interim 100 (Continue) of a request that asked for it.
enum class ContinueState : std::uint8_t {
  NotExpected,  // no body, HTTP/1.0, or no "Expect: 100-continue"
  Expected,     // the client holds its body back until it hears 100
  Sent,         // the 100 is queued or out: it goes through the response's write
                // queue, ahead of the head, when the handler first reads the body
};

// What the request's head says: set at dispatch, fixed until the next request.
struct RequestFacts {
  int version = 11;            // 10 or 11
  bool is_head = false;        // a HEAD request: the response sends no body
  bool has_body = false;       // a Content-Length above 0, or chunked
  bool length_framed = false;  // a body of Content-Length bytes (not chunked)
};

// Whether the connection carries another request after this response.
struct ConnectionReuse {
  // The request's wish (Connection header, version), only narrowed by the
  // response: the app's "Connection: close", a body held back or cut short,
  // an unread body that cannot be read, framing until close, a 101.
  bool keep_alive = false;
  bool draining = false;  // the worker is stopping (set once, in any phase)
};

// Socket operations under way, in whatever phase: the callbacks that end
// them read the phase again when they run.
struct PendingIo {
  bool watching = false;         // the watch's (or the final discard's) read is pending
  bool write_scheduled = false;  // a strand turn will start the next response write
  bool write_in_flight = false;  // a response (or 100, or 101) write is pending on the socket
};

bool is_legal(ConnectionPhase from, ConnectionPhase to);
bool is_legal(RequestPhase from, RequestPhase to);
bool is_legal(ResponseProgress from, ResponseProgress to);

std::string_view name(ConnectionPhase phase);
std::string_view name(RequestPhase phase);
std::string_view name(ResponseProgress progress);

}  // namespace ancm::server
