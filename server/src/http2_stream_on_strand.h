// Http2Stream::on_strand, for the files that define Http2Stream's members
// (http2_stream.cpp, http2_stream_tunnel.cpp): a request API call runs at
// once on the session's strand, else is posted there with the session kept.
#pragma once

#include <boost/asio/post.hpp>
#include <utility>

#include "http2_session.h"
#include "http2_stream.h"

namespace ancm::server {

template <class F>
void Http2Stream::on_strand(F&& f) {
  if (session_.strand().running_in_this_thread()) return f();
  boost::asio::post(session_.strand(), [self = session_.shared_from_this(),
                                        f = std::forward<F>(f)]() mutable { f(); });
}

}  // namespace ancm::server
