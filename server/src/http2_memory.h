// The allocator nghttp2 uses for the server's sessions (nghttp2_mem).
//
// nghttp2 makes and frees several small blocks per stream and per frame (the
// stream, its outbound items, header buffers). A busy connection turns over
// tens of streams in one strand turn, past glibc's per-thread cache (7 blocks
// of a size), so most of those calls went to the arena's bins: malloc and
// free were about a fifth of the I/O thread in perf record at 256 HTTP/2
// connections. Small blocks are kept instead on a free list per I/O thread
// and size class, up to a bound, and reused; larger ones go to malloc.
#pragma once

#include <nghttp2/nghttp2.h>

namespace ancm::server {

// Lives as long as the process; usable from any thread. Null (nghttp2's
// default, malloc) under AddressSanitizer, which must see every block.
nghttp2_mem* http2_memory();

}  // namespace ancm::server
