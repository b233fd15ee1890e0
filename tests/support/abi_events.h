// The ctx of the handler ABI's callbacks in tests: each call is queued
// (EventQueue) for the test to wait for, in order.
#pragma once

#include <cstddef>

#include "ancm/handler_abi.h"
#include "event_queue.h"

namespace ancm::test {

struct IoResult {
  int status = 0;
  std::size_t bytes = 0;
};

// An ancm_io_callback's completions.
struct IoEvents : EventQueue<IoResult> {
  static void callback(void* ctx, int status, size_t bytes) {
    static_cast<IoEvents*>(ctx)->push({status, bytes});
  }
};

// A disconnect callback's client_gone.
struct DisconnectEvents : EventQueue<int> {
  static void callback(void* ctx, int client_gone) {
    static_cast<DisconnectEvents*>(ctx)->push(client_gone);
  }
};

// An upgrade callback's stream (NULL when refused).
struct StreamEvents : EventQueue<ancm_stream*> {
  static void callback(void* ctx, ancm_stream* stream) {
    static_cast<StreamEvents*>(ctx)->push(stream);
  }
};

}  // namespace ancm::test
