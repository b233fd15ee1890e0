#include "http2_memory.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace ancm::server {
namespace {

// A block carries its size class in a header before the bytes nghttp2 gets
// (nghttp2_mem's free has no size), 16 bytes so the bytes stay aligned as
// malloc's are.
constexpr std::size_t kHeader = 16;
constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 16;        // blocks up to 1 KiB (with the header)
constexpr std::size_t kKeptPerClass = 256;  // at most ~2 MiB kept per thread in all
constexpr std::size_t kLarge = kClasses;    // the class of a block from malloc alone

std::size_t class_of(std::size_t size) { return (size + kHeader - 1) / kGranule; }
std::size_t class_bytes(std::size_t cls) { return (cls + 1) * kGranule; }

std::size_t& header(void* bytes) {
  return *reinterpret_cast<std::size_t*>(static_cast<char*>(bytes) - kHeader);
}

// Set when the thread's free lists are gone (its thread_local objects are
// being destroyed): a session freed later goes straight to malloc's free.
thread_local bool lists_gone = false;

// The blocks a thread freed, by class; given back to malloc when the thread ends.
struct FreeLists {
  std::array<std::vector<void*>, kClasses> blocks;
  // The lists' storage is made once: giving a block back never allocates
  // (nghttp2 calls from C, where an exception must not pass).
  FreeLists() {
    try {
      for (auto& list : blocks) list.reserve(kKeptPerClass);
    } catch (const std::bad_alloc&) {
      // Lists without room: every block goes back to malloc.
    }
  }
  FreeLists(const FreeLists&) = delete;
  FreeLists& operator=(const FreeLists&) = delete;
  ~FreeLists() {
    lists_gone = true;
    for (auto& list : blocks) {
      for (void* block : list) std::free(block);
    }
  }
};

FreeLists* free_lists() {
  if (lists_gone) return nullptr;
  thread_local FreeLists lists;
  return &lists;
}

void* with_header(void* block, std::size_t cls) {
  if (!block) return nullptr;
  *static_cast<std::size_t*>(block) = cls;
  return static_cast<char*>(block) + kHeader;
}

[[maybe_unused]] void* take(std::size_t size, void*) {
  if (size > SIZE_MAX - kGranule) return nullptr;
  std::size_t cls = class_of(size);
  if (cls >= kClasses) return with_header(std::malloc(size + kHeader), kLarge);
  auto* lists = free_lists();
  if (lists && !lists->blocks[cls].empty()) {
    auto& list = lists->blocks[cls];
    void* block = list.back();
    list.pop_back();
    return with_header(block, cls);
  }
  return with_header(std::malloc(class_bytes(cls)), cls);
}

[[maybe_unused]] void give_back(void* bytes, void*) {
  if (!bytes) return;
  std::size_t cls = header(bytes);
  void* block = static_cast<char*>(bytes) - kHeader;
  auto* lists = cls < kClasses ? free_lists() : nullptr;
  if (lists) {
    auto& list = lists->blocks[cls];
    if (list.size() < list.capacity()) {
      list.push_back(block);
      return;
    }
  }
  std::free(block);
}

[[maybe_unused]] void* take_zeroed(std::size_t count, std::size_t size, void* user) {
  if (size != 0 && count > (SIZE_MAX - kHeader) / size) return nullptr;
  void* bytes = take(count * size, user);
  if (bytes) std::memset(bytes, 0, count * size);
  return bytes;
}

[[maybe_unused]] void* resize(void* bytes, std::size_t size, void* user) {
  if (!bytes) return take(size, user);
  std::size_t cls = header(bytes);
  if (size > SIZE_MAX - kGranule) return nullptr;
  if (cls >= kClasses) {
    void* block = std::realloc(static_cast<char*>(bytes) - kHeader, size + kHeader);
    return with_header(block, kLarge);
  }
  std::size_t usable = class_bytes(cls) - kHeader;
  if (size <= usable) return bytes;
  void* larger = take(size, user);
  if (!larger) return nullptr;
  std::memcpy(larger, bytes, usable);
  give_back(bytes, user);
  return larger;
}

}  // namespace

// gcc says __SANITIZE_ADDRESS__; clang (tools/fuzz) says so through __has_feature.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(hwaddress_sanitizer)
#define ANCM_HTTP2_MEMORY_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ANCM_HTTP2_MEMORY_SANITIZED 1
#endif

nghttp2_mem* http2_memory() {
#if defined(ANCM_HTTP2_MEMORY_SANITIZED)
  return nullptr;  // nghttp2's default (malloc): the sanitizer sees every block
#else
  static nghttp2_mem memory{nullptr, take, give_back, take_zeroed, resize};
  return &memory;
#endif
}

}  // namespace ancm::server
