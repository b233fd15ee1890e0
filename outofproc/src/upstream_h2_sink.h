// What travels between an HTTP/2 session to a child (upstream_h2_session.h)
// and the exchange whose request one of its streams carries: the request's
// head and body going up, the response coming back.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ancm::outofproc {

// Name (lower-case, as HTTP/2 requires) and value.
using H2Field = std::pair<std::string, std::string>;
using H2Fields = std::vector<H2Field>;

// A request as it goes to the child: the pseudo-header fields first.
struct H2RequestHead {
  H2Fields fields;        // :method, :scheme, :authority, :path, then the rest
  bool has_body = false;  // false: the HEADERS frame ends the stream
  // An extended CONNECT (RFC 8441, :protocol among the fields): a tunnel whose
  // DATA goes both ways. It waits for the child's SETTINGS and is submitted
  // only when they carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1; else it ends
  // with H2StreamEnd::connect_refused.
  bool extended_connect = false;
};

// How a stream ended, as the session saw it.
struct H2StreamEnd {
  std::uint32_t error_code = 0;  // RST_STREAM's, or the session's GOAWAY's; 0: closed cleanly
  // The stream never reached the child's app (refused, or the connection was
  // lost before its HEADERS went out): the request may go again.
  bool unprocessed = false;
  // The connection itself failed (the child may be gone), not just the stream.
  bool connection_lost = false;
  // An extended CONNECT the child's SETTINGS do not allow (no
  // SETTINGS_ENABLE_CONNECT_PROTOCOL = 1): it was never sent.
  bool connect_refused = false;
  std::string why;  // for a failure: what happened, naming the child's port
};

// The stream's owner, told what happens on the stream. Every call comes on
// the session's strand and must not block; an owner on another strand posts
// the work onto its own.
class UpstreamH2Sink {
 public:
  virtual ~UpstreamH2Sink() = default;
  // The final response head (interim 1xx heads are skipped).
  virtual void on_response_head(int status, H2Fields headers) = 0;
  // A piece of the response body. The session's flow-control window stays
  // used until the owner calls UpstreamH2Session::consume for it.
  virtual void on_response_data(std::string piece) = 0;
  // The response ended (END_STREAM), with its trailer fields (maybe none).
  virtual void on_response_end(H2Fields trailers) = 0;
  // The body piece last given (UpstreamH2Session::send_body) is all framed:
  // the next may come.
  virtual void on_body_taken() = 0;
  // The stream is closed; nothing more comes for it.
  virtual void on_stream_end(H2StreamEnd end) = 0;
};

}  // namespace ancm::outofproc
