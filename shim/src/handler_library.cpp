#include "handler_library.h"

#include <dlfcn.h>

#include "ancm/shim/handler_dir.h"
#include "ancm/shim/shim.h"

namespace ancm::shim {

HandlerLibrary::HandlerLibrary(Key, void* handle, const ancm_handler_api* api,
                               std::filesystem::path path)
    : handle_(handle), api_(api), path_(std::move(path)) {}

// Applications created from a library are released before it goes (the shim
// owns both and drops the applications first).
HandlerLibrary::~HandlerLibrary() { ::dlclose(handle_); }

common::Result<std::unique_ptr<HandlerLibrary>, HandlerLibrary::LoadError> HandlerLibrary::load(
    const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return common::fail(
        LoadError{true, "handler library " + path.string() + std::string(kWasNotFound)});
  }
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    return common::fail(LoadError{false, "could not load handler library " + path.string() + ": " +
                                             (why ? why : "unknown error")});
  }
  auto entry = reinterpret_cast<ancm_handler_entry_fn>(::dlsym(handle, ANCM_HANDLER_ENTRY_SYMBOL));
  const ancm_handler_api* api = entry ? entry() : nullptr;
  std::string problem;
  if (!entry) {
    problem = std::string("does not export ") + ANCM_HANDLER_ENTRY_SYMBOL;
  } else if (!api || api->abi_version != ANCM_HANDLER_ABI_VERSION ||
             !ANCM_ABI_HAS(ancm_handler_api, api, wait_settled) || !api->create_application ||
             !api->handle_request || !api->stop || !api->add_ref || !api->release ||
             !api->wait_settled) {
    problem = "has an incompatible entry point (ABI version " +
              std::to_string(api ? api->abi_version : 0) + ", expected " +
              std::to_string(ANCM_HANDLER_ABI_VERSION) + ")";
  }
  if (!problem.empty()) {
    ::dlclose(handle);
    return common::fail(LoadError{false, "handler library " + path.string() + " " + problem});
  }
  return std::make_unique<HandlerLibrary>(Key{}, handle, api, path);
}

}  // namespace ancm::shim
