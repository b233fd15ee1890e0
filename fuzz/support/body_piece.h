// One body buffer lent to a Beast buffer_body parser for one read, as the
// server and the proxy read bodies: its size is the one the input chooses,
// and it is its own exact-size allocation, so AddressSanitizer reports a
// write past its end.
#pragma once

#include <boost/beast/http/buffer_body.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "fuzz_check.h"

namespace ancm::fuzz {

class BodyPiece {
 public:
  template <typename Parser>
  BodyPiece(Parser& parser, std::size_t size, const char* target)
      : piece_(size), body_(parser.get().body()), target_(target) {
    body_.data = piece_.data();
    body_.size = piece_.size();
  }
  BodyPiece(const BodyPiece&) = delete;
  BodyPiece& operator=(const BodyPiece&) = delete;

  // Appends what the parser wrote into the piece to body, which can never
  // hold more than the sent bytes; returns how much it wrote.
  std::size_t take(std::string& body, std::size_t sent) const {
    require(body_.size <= piece_.size(), target_, "the body buffer grew");
    std::size_t got = piece_.size() - body_.size;
    body.append(piece_.data(), got);
    require(body.size() <= sent, target_, "more body than bytes sent");
    return got;
  }

 private:
  std::vector<char> piece_;
  boost::beast::http::buffer_body::value_type& body_;
  const char* target_;
};

}  // namespace ancm::fuzz
