// Our head rules and Beast's parser must read a request's body framing the
// same way: Beast frames the body the handler reads, our rules decided the
// request was fit to read. Any disagreement is refused, never guessed at.
#pragma once

#include "request_head.h"

namespace ancm::server {

// Parser: a Beast request parser that has parsed the head.
template <class Parser>
bool parser_reads_same_framing(const RequestHead& head, const Parser& parser) {
  auto length = parser.content_length();
  switch (head.body) {
    case BodyFraming::None:
      return !parser.chunked() && !length;
    case BodyFraming::ContentLength:
      return !parser.chunked() && length && *length == head.content_length;
    case BodyFraming::Chunked:
      return parser.chunked() && !length;
  }
  return false;
}

}  // namespace ancm::server
