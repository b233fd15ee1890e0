// The one way a phase enum changes (Connection, ProxyExchange, ResponseWriter):
// the move is made only when the enum's table allows it (is_legal, found next
// to the enum); a move the table lacks is a bug, handed to `report` with the
// names of both phases (name, found there too) and not made.
#pragma once

#include <string_view>

namespace ancm::common {

template <typename Phase, typename Report>
bool checked_move(Phase& current, Phase to, Report&& report) {
  if (!is_legal(current, to)) {
    report(std::string_view(name(current)), std::string_view(name(to)));
    return false;
  }
  current = to;
  return true;
}

}  // namespace ancm::common
