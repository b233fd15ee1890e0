// The server's side of the opaque ancm_request handle, and how a handle of an
// ended request ("stale") is told apart from the connection's current one.
//
// A connection (an HTTP/2 stream) owns one ancm_request for all its requests. The pointer a
// handler gets carries the request's generation in its top 16 bits, which
// user-space addresses leave zero on x86-64 and arm64 (47/48-bit address
// spaces); the handler never dereferences it, it only passes it back. Each
// call compares the pointer's generation with the connection's: one integer
// compare, no lock, no allocation per request. complete() and abort() move
// the generation on, so any call that follows them with the old handle is
// refused, even from another thread, and never reaches the next request.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>

#include "ancm/handler_abi.h"

namespace ancm::server {
class ServerRequest;
}

struct ancm_request {
  ancm::server::ServerRequest* owner = nullptr;  // the connection or HTTP/2 stream serving it
  std::atomic<std::uint16_t> generation{0};      // of the request being served
  std::atomic<bool> stale_call_logged{false};
  // The substatus of the error page the shim answered the request with
  // (30 for 500.30), for the access log; taken (reset to 0) as it ends.
  std::atomic<std::uint16_t> substatus{0};
};

namespace ancm::server {

inline constexpr unsigned kHandleGenerationShift = 48;
inline constexpr std::uintptr_t kHandleAddressMask =
    (std::uintptr_t{1} << kHandleGenerationShift) - 1;
static_assert(sizeof(std::uintptr_t) == 8, "handle generations need 64-bit pointers");

// The handle a handler gets for the current request.
inline ancm_request* current_handle(ancm_request& request) {
  auto address = reinterpret_cast<std::uintptr_t>(&request);
  // Heap addresses never reach the top 16 bits in user space (see above).
  if (address & ~kHandleAddressMask) std::terminate();
  auto generation = std::uintptr_t{request.generation.load(std::memory_order_acquire)};
  return reinterpret_cast<ancm_request*>(address | generation << kHandleGenerationShift);
}

// The connection's ancm_request behind a handle, stale or not.
inline ancm_request& untagged(ancm_request* handle) {
  return *reinterpret_cast<ancm_request*>(reinterpret_cast<std::uintptr_t>(handle) &
                                          kHandleAddressMask);
}

// True when the handle is the current request's.
inline bool is_current(ancm_request* handle) {
  auto generation = reinterpret_cast<std::uintptr_t>(handle) >> kHandleGenerationShift;
  return generation == untagged(handle).generation.load(std::memory_order_acquire);
}

// The shim answered the current request with ANCM's page status.substatus.
inline void note_substatus(ancm_request* handle, int substatus) {
  if (is_current(handle)) {
    untagged(handle).substatus.store(static_cast<std::uint16_t>(substatus),
                                     std::memory_order_relaxed);
  }
}

// The request ends: its handle goes stale. Called by complete() and abort().
inline void end_handle(ancm_request* handle) {
  untagged(handle).generation.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace ancm::server
