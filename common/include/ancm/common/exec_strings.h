// The NULL-terminated array of C strings execve and posix_spawn take (argv,
// envp), built before a fork: nothing is allocated in the child.
#pragma once

#include <string>
#include <vector>

namespace ancm::common {

// Points into strings, which must outlive the result and not change.
inline std::vector<char*> exec_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace ancm::common
