// A Beast body for reading a request body into the handler's buffer, as
// buffer_body does, with one difference: bytes the socket already read into
// the place they go (a Content-Length body read straight into the handler's
// buffer, Connection::top_up_body) are only counted, not copied onto
// themselves. The parser still frames the body and says when it is done.
// A null data counts bytes that went elsewhere without a look at them (a
// body spliced into the handler's pipe, Connection::count_piped_body).
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ancm::server {

struct InPlaceBody {
  struct value_type {
    void* data = nullptr;  // where the next body byte goes; null: counted only
    std::size_t size = 0;  // room left there (or bytes left to count)
  };

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

    void init(const boost::optional<std::uint64_t>&, boost::beast::error_code& ec) { ec = {}; }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      std::size_t taken = 0;
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers); ++it) {
        boost::asio::const_buffer piece(*it);
        std::size_t n = std::min(piece.size(), body_.size);
        if (body_.data != nullptr) {
          if (n > 0 && piece.data() != body_.data) std::memcpy(body_.data, piece.data(), n);
          body_.data = static_cast<char*>(body_.data) + n;
        }
        body_.size -= n;
        taken += n;
        if (n < piece.size()) break;
      }
      ec = taken == boost::asio::buffer_size(buffers)
               ? boost::beast::error_code{}
               : boost::beast::error_code(boost::beast::http::error::need_buffer);
      return taken;
    }

    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

}  // namespace ancm::server
