// The C layout that managed code mirrors by hand, checked at compile time:
// the member lists in ancm/abi_layout.h cover their structs, and the layout
// on LP64 Linux (x86-64, arm64, the only targets) is the one published with
// this ABI version. A failure here means the layout changed: bump
// ANCM_HANDLER_ABI_VERSION / ANCM_MANAGED_ABI_VERSION for a moved member
// (appending keeps the version: update the sizes), update the C# mirror, and
// the numbers below. The managed_unit test then checks the C# side.
#include "ancm/abi_layout.h"

#include <cstddef>
#include <iterator>

namespace ancm::abi_layout {
namespace {

#define ANCM_ABI_COVERS(type, list)                      \
  constexpr Member k_##type[] = {list(ANCM_ABI_MEMBER)}; \
  static_assert(covers<type>(k_##type), #type ": abi_layout.h misses a member");
ANCM_MIRRORED_STRUCTS(ANCM_ABI_COVERS)
#undef ANCM_ABI_COVERS

static_assert(sizeof(void*) == 8 && sizeof(size_t) == 8, "the ABI is published for LP64");

static_assert(sizeof(ancm_str) == 16 && offsetof(ancm_str, len) == 8);
static_assert(sizeof(ancm_kv) == 32 && offsetof(ancm_kv, value) == 16);

static_assert(offsetof(ancm_request_info, headers) == 64);
static_assert(offsetof(ancm_request_info, header_count) == 72);
static_assert(offsetof(ancm_request_info, remote_address) == 80);
static_assert(offsetof(ancm_request_info, local_address) == 96);
static_assert(offsetof(ancm_request_info, remote_port) == 112);
static_assert(offsetof(ancm_request_info, local_port) == 114);
static_assert(offsetof(ancm_request_info, http_version) == 116);
static_assert(offsetof(ancm_request_info, has_body) == 120);
static_assert(offsetof(ancm_request_info, is_tls) == 124);
static_assert(sizeof(ancm_request_info) == 128);

// Two uint32_t, then only function pointers, 8 bytes apart, in list order.
constexpr bool request_api_is_packed_functions() {
  if (k_ancm_request_api[0].offset != 0 || k_ancm_request_api[1].offset != 4) return false;
  std::size_t expected = 8;
  for (std::size_t i = 2; i < std::size(k_ancm_request_api); ++i, expected += 8) {
    if (k_ancm_request_api[i].offset != expected || k_ancm_request_api[i].size != 8) return false;
  }
  return sizeof(ancm_request_api) == expected;
}
static_assert(request_api_is_packed_functions());
// Published in version 3: functions are only ever appended after this one.
static_assert(offsetof(ancm_request_api, write_body_borrowed) == 224);
// Appended since, in this order (struct_size tells a reader which it has).
static_assert(offsetof(ancm_request_api, request_trailers) == 232);
static_assert(offsetof(ancm_request_api, connection_data) == 240);
static_assert(offsetof(ancm_request_api, set_connection_data) == 248);

static_assert(offsetof(ancm_managed_host, struct_size) == 4);
static_assert(offsetof(ancm_managed_host, host_ctx) == 8);
static_assert(offsetof(ancm_managed_host, request_api) == 16);
static_assert(offsetof(ancm_managed_host, request_info) == 24);
static_assert(offsetof(ancm_managed_host, register_server) == 32);
static_assert(offsetof(ancm_managed_host, drained) == 40);
static_assert(offsetof(ancm_managed_host, log) == 48);
static_assert(offsetof(ancm_managed_host, start_failed) == 56);
static_assert(offsetof(ancm_managed_host, max_request_body_size) == 64);
static_assert(sizeof(ancm_managed_host) == 72);
static_assert(sizeof(ancm_managed_server) == 16);

}  // namespace
}  // namespace ancm::abi_layout
