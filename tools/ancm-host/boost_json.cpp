// Boost.JSON's implementation, compiled once for the binary (header-only
// mode): runtimeconfig.json reading and `check --json`.
#include <boost/json/src.hpp>
