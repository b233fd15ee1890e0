// One request's stream inside an UpstreamH2Session: what the session keeps
// of it between nghttp2's callbacks. Touched only on the session's strand.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "upstream_h2_session.h"

namespace ancm::outofproc {

struct UpstreamH2Session::Stream {
  StreamKey key = 0;
  std::int32_t id = -1;  // nghttp2's, once submitted
  std::shared_ptr<UpstreamH2Sink> sink;
  H2RequestHead head;  // until submitted

  // The request body piece being framed, and what follows it.
  std::string body;
  std::size_t body_offset = 0;
  bool body_last = false;
  bool body_deferred = false;  // nghttp2 waits for send_body (resume_data)
  H2Fields trailers;           // sent after the last piece

  // The response as it comes: fields of the HEADERS block being read.
  bool headers_sent = false;  // our HEADERS went out: the child may have acted on it
  bool head_relayed = false;  // the final head went to the sink; later HEADERS are trailers
  int status = 0;
  H2Fields fields;
  std::size_t header_bytes =
      0;                // of the HEADERS blocks so far, as SETTINGS_MAX_HEADER_LIST_SIZE counts
  std::string failure;  // why the session reset it (a head over the limit); empty if not
  std::size_t unconsumed = 0;  // response bytes handed to the sink, not consumed yet
};

}  // namespace ancm::outofproc
