// nghttp2's C callbacks for an UpstreamH2Session: each finds the session (the
// session's user data) and the stream (the stream's user data) and calls the
// session's member that handles the event.
#pragma once

#include <nghttp2/nghttp2.h>

#include "ancm/common/nghttp2_handles.h"

namespace ancm::outofproc {

using CallbacksPtr = common::Nghttp2CallbacksPtr;

struct H2Callbacks {
  static CallbacksPtr make();
  // The request body's data source (nghttp2_data_source_read_callback).
  static ssize_t read_body(nghttp2_session*, std::int32_t stream_id, std::uint8_t* buffer,
                           std::size_t size, std::uint32_t* flags, nghttp2_data_source* source,
                           void* user_data);
};

}  // namespace ancm::outofproc
