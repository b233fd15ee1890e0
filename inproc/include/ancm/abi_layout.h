// Every member of the C structs that managed code mirrors by hand
// (managed/Ancm.Host/Native/*.cs), in declaration order, as X-macro lists:
// X(struct, member). Used to check the C layout at compile time
// (inproc/src/abi_layout.cpp) and to hand the offsets to the managed test
// (tests/managed/abi_layout_dump.cpp), which compares them with the C# structs.
// A member added to one of these structs goes here too, or the build fails
// (abi_layout.cpp checks that the list covers the struct).
#pragma once

#include <cstddef>

#include "ancm/handler_abi.h"
#include "ancm/managed_abi.h"

#define ANCM_STR_MEMBERS(X) \
  X(ancm_str, data)         \
  X(ancm_str, len)

#define ANCM_KV_MEMBERS(X) \
  X(ancm_kv, name)         \
  X(ancm_kv, value)

#define ANCM_REQUEST_INFO_MEMBERS(X)   \
  X(ancm_request_info, method)         \
  X(ancm_request_info, target)         \
  X(ancm_request_info, path)           \
  X(ancm_request_info, query)          \
  X(ancm_request_info, headers)        \
  X(ancm_request_info, header_count)   \
  X(ancm_request_info, remote_address) \
  X(ancm_request_info, local_address)  \
  X(ancm_request_info, remote_port)    \
  X(ancm_request_info, local_port)     \
  X(ancm_request_info, http_version)   \
  X(ancm_request_info, has_body)       \
  X(ancm_request_info, is_tls)

#define ANCM_REQUEST_API_MEMBERS(X)         \
  X(ancm_request_api, abi_version)          \
  X(ancm_request_api, struct_size)          \
  X(ancm_request_api, method)               \
  X(ancm_request_api, target)               \
  X(ancm_request_api, path)                 \
  X(ancm_request_api, query)                \
  X(ancm_request_api, http_version)         \
  X(ancm_request_api, header_count)         \
  X(ancm_request_api, headers)              \
  X(ancm_request_api, remote_address)       \
  X(ancm_request_api, remote_port)          \
  X(ancm_request_api, local_address)        \
  X(ancm_request_api, local_port)           \
  X(ancm_request_api, is_tls)               \
  X(ancm_request_api, has_body)             \
  X(ancm_request_api, read_body)            \
  X(ancm_request_api, set_status)           \
  X(ancm_request_api, add_header)           \
  X(ancm_request_api, write_body)           \
  X(ancm_request_api, flush)                \
  X(ancm_request_api, complete)             \
  X(ancm_request_api, abort)                \
  X(ancm_request_api, on_disconnect)        \
  X(ancm_request_api, upgrade)              \
  X(ancm_request_api, stream_read)          \
  X(ancm_request_api, stream_write)         \
  X(ancm_request_api, stream_close)         \
  X(ancm_request_api, request_info)         \
  X(ancm_request_api, connection_executor)  \
  X(ancm_request_api, write_body_borrowed)  \
  X(ancm_request_api, request_trailers)     \
  X(ancm_request_api, connection_data)      \
  X(ancm_request_api, set_connection_data)  \
  X(ancm_request_api, add_trailer)          \
  X(ancm_request_api, reset)                \
  X(ancm_request_api, tls_info)             \
  X(ancm_request_api, connect_protocol)     \
  X(ancm_request_api, write_body_from_pipe) \
  X(ancm_request_api, set_min_body_rate)    \
  X(ancm_request_api, read_body_to_pipe)

#define ANCM_TLS_INFO_MEMBERS(X)       \
  X(ancm_tls_info, protocol)           \
  X(ancm_tls_info, cipher)             \
  X(ancm_tls_info, alpn)               \
  X(ancm_tls_info, server_name)        \
  X(ancm_tls_info, client_certificate) \
  X(ancm_tls_info, client_certificate_len)

#define ANCM_MANAGED_SERVER_MEMBERS(X) \
  X(ancm_managed_server, on_request)   \
  X(ancm_managed_server, on_shutdown)

#define ANCM_MANAGED_HOST_MEMBERS(X)    \
  X(ancm_managed_host, abi_version)     \
  X(ancm_managed_host, struct_size)     \
  X(ancm_managed_host, host_ctx)        \
  X(ancm_managed_host, request_api)     \
  X(ancm_managed_host, request_info)    \
  X(ancm_managed_host, register_server) \
  X(ancm_managed_host, drained)         \
  X(ancm_managed_host, log)             \
  X(ancm_managed_host, start_failed)    \
  X(ancm_managed_host, max_request_body_size)

// Every mirrored struct with its member list: X(struct, LIST).
#define ANCM_MIRRORED_STRUCTS(X)                      \
  X(ancm_str, ANCM_STR_MEMBERS)                       \
  X(ancm_kv, ANCM_KV_MEMBERS)                         \
  X(ancm_request_info, ANCM_REQUEST_INFO_MEMBERS)     \
  X(ancm_tls_info, ANCM_TLS_INFO_MEMBERS)             \
  X(ancm_request_api, ANCM_REQUEST_API_MEMBERS)       \
  X(ancm_managed_server, ANCM_MANAGED_SERVER_MEMBERS) \
  X(ancm_managed_host, ANCM_MANAGED_HOST_MEMBERS)

namespace ancm::abi_layout {

struct Member {
  const char* name;
  std::size_t offset;
  std::size_t size;
  std::size_t align;
};

// True when the members, in order, leave no gap a member could hide in and
// end where the struct does (up to its padding): the list is complete.
template <class T, std::size_t N>
constexpr bool covers(const Member (&members)[N]) {
  std::size_t end = 0;
  for (const auto& m : members) {
    if (m.offset < end || m.offset - end >= m.align) return false;
    end = m.offset + m.size;
  }
  return end <= sizeof(T) && sizeof(T) - end < alignof(T);
}

}  // namespace ancm::abi_layout

#define ANCM_ABI_MEMBER(type, member)                                               \
  ::ancm::abi_layout::Member{#member, offsetof(type, member), sizeof(type::member), \
                             alignof(decltype(type::member))},
