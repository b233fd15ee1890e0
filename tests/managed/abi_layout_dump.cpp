// Prints the C layout of the structs Ancm.Host.dll mirrors, from the headers
// themselves, for the managed_unit test to compare with the C# structs:
//   <struct> <sizeof>
//   <struct>.<member> <offset> <size>
//   <version macro> <value>
#include <cstdio>

#include "ancm/abi_layout.h"

int main() {
#define ANCM_ABI_PRINT_MEMBER(type, member) \
  std::printf("%s.%s %zu %zu\n", #type, #member, offsetof(type, member), sizeof(type::member));
#define ANCM_ABI_PRINT_STRUCT(type, list)       \
  std::printf("%s %zu\n", #type, sizeof(type)); \
  list(ANCM_ABI_PRINT_MEMBER)
  ANCM_MIRRORED_STRUCTS(ANCM_ABI_PRINT_STRUCT)
  std::printf("ANCM_HANDLER_ABI_VERSION %u\n", ANCM_HANDLER_ABI_VERSION);
  std::printf("ANCM_MANAGED_ABI_VERSION %u\n", ANCM_MANAGED_ABI_VERSION);
  return 0;
}
