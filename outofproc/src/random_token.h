// The per-child secret a backend checks in MS-ASPNETCORE-TOKEN.
#pragma once

#include <string>

namespace ancm::outofproc {

// A fresh random 128-bit value from getrandom, as 32 lowercase hex digits.
// Throws std::system_error if the kernel has no randomness to give.
std::string new_random_token();

}  // namespace ancm::outofproc
