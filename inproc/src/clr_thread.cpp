#include "clr_thread.h"

#include <pthread.h>

#include <cstring>
#include <memory>

namespace ancm::inproc {
namespace {

void* run(void* argument) {
  std::unique_ptr<std::function<void()>> body(static_cast<std::function<void()>*>(argument));
  (*body)();
  return nullptr;
}

}  // namespace

common::Result<void> start_clr_thread(std::size_t stack_size, std::function<void()> body) {
  auto owned = std::make_unique<std::function<void()>>(std::move(body));
  pthread_attr_t attributes;
  ::pthread_attr_init(&attributes);
  ::pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
  int result = ::pthread_attr_setstacksize(&attributes, stack_size);
  pthread_t thread;
  if (result == 0) result = ::pthread_create(&thread, &attributes, &run, owned.get());
  ::pthread_attr_destroy(&attributes);
  if (result != 0) {
    return common::fail("cannot start the CLR thread with a " + std::to_string(stack_size) +
                        "-byte stack: " + std::strerror(result));
  }
  owned.release();  // the thread owns it now
  return {};
}

}  // namespace ancm::inproc
