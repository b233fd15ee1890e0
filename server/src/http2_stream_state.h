// The explicit state of an HTTP/2 stream served as a request (http2_stream.h):
// who owns the request and how far its response went, each one value at a
// time and moved only through Http2Stream::enter, which checks the move
// against the tables here (is_legal, http2_stream_state.cpp) with
// common::checked_move. Whether nghttp2 still has the stream open, and
// whether the client's side ended, are facts apart (Http2StreamFacts): a
// handler keeps its request after the client reset the stream.
#pragma once

#include <cstdint>
#include <string_view>

namespace ancm::server {

// Who owns the request. A stream object is reused (the session's pool), so
// the phases go round: Free → ReceivingHead → InHandler → Ended → Free, or
// Free → ReceivingHead → Refused → Free for a head the server answers itself.
enum class Http2RequestPhase : std::uint8_t {
  Free,           // in the session's pool, serving no stream
  ReceivingHead,  // HEADERS (and CONTINUATION) are being decoded
  InHandler,      // dispatched: the handler owns it until complete/abort/reset
  Ended,          // the handler ended it; the stream's last frames may still go out
  Refused,        // the head broke a rule (request_head_rules.h): the server
                  // answered it (400, 405, 413, 414) and no handler saw it
};

// How far the response went. Written on the strand under the stream's head
// lock (set_status, add_header and add_trailer read it there).
enum class Http2ResponsePhase : std::uint8_t {
  NotStarted,     // no request
  HeadOpen,       // the handler may set the status, headers and trailers
  ServerAnswer,   // the server answers instead (a refused head, a body past the limit: 413)
  HeadSubmitted,  // the HEADERS frame is handed to nghttp2: the body follows
  BodyEnded,      // the last DATA (or the trailers) are handed to nghttp2
  Reset,          // RST_STREAM: nothing more goes out
};

struct Http2StreamFacts {
  bool remote_ended = false;  // the client's END_STREAM came: the body is all here
  bool closed = false;        // nghttp2 closed the stream (both ends, or a reset)
  bool client_reset = false;  // it closed with an error: the client reset or the connection died
};

bool is_legal(Http2RequestPhase from, Http2RequestPhase to);
bool is_legal(Http2ResponsePhase from, Http2ResponsePhase to);
std::string_view name(Http2RequestPhase phase);
std::string_view name(Http2ResponsePhase phase);

}  // namespace ancm::server
