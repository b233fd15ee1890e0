#include "upstream_h2_session_state.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace ancm::outofproc {
namespace {

using P = H2SessionPhase;

constexpr std::pair<P, P> kLegal[] = {
    {P::Connecting, P::Open},    // connected
    {P::Connecting, P::Closed},  // the connect failed
    {P::Open, P::Draining},      // GOAWAY
    {P::Open, P::Closed},        // a read or write failed, or the child closed
    {P::Draining, P::Closed},    // the last stream ended, or the connection failed
};

}  // namespace

bool is_legal(H2SessionPhase from, H2SessionPhase to) {
  return std::find(std::begin(kLegal), std::end(kLegal), std::pair{from, to}) != std::end(kLegal);
}

std::string_view name(H2SessionPhase phase) {
  switch (phase) {
    case P::Connecting:
      return "Connecting";
    case P::Open:
      return "Open";
    case P::Draining:
      return "Draining";
    case P::Closed:
      return "Closed";
  }
  return "?";
}

}  // namespace ancm::outofproc
