#include <charconv>

#include "ancm/loader/loader.h"

namespace ancm::loader {

// The runtime reads DEFAULT_STACK_SIZE as hex (wcstoul(..., 16)): decimal
// 1048576 would be read as 0x1048576, a 16 MiB stack.
std::string format_runtime_stack_size(std::size_t bytes) {
  char text[2 * sizeof(std::size_t) + 1];
  auto [end, error] = std::to_chars(text, text + sizeof text, bytes, 16);
  return std::string(text, end);
}

}  // namespace ancm::loader
