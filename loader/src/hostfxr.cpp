#include <dlfcn.h>

#include <utility>

#include "ancm/loader/loader.h"

namespace fs = std::filesystem;

namespace ancm::loader {
namespace {

template <typename Fn>
void resolve(void* library, const char* name, Fn& slot, std::string& missing) {
  slot = reinterpret_cast<Fn>(::dlsym(library, name));
  if (!slot) missing += (missing.empty() ? "" : ", ") + std::string(name);
}

}  // namespace

common::Result<std::unique_ptr<Hostfxr>> Hostfxr::load(const fs::path& path) {
  // RTLD_NODELETE: hostpolicy and CoreCLR outlive any handle we hold.
  std::unique_ptr<void, Closer> library(
      ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
  if (!library) {
    const char* why = ::dlerror();
    return common::fail("could not load hostfxr " + path.string() + ": " +
                        (why ? why : "unknown dlopen error"));
  }
  HostfxrApi api;
  std::string missing;
  resolve(library.get(), "hostfxr_initialize_for_dotnet_command_line",
          api.initialize_for_dotnet_command_line, missing);
  resolve(library.get(), "hostfxr_set_runtime_property_value", api.set_runtime_property_value,
          missing);
  resolve(library.get(), "hostfxr_get_runtime_property_value", api.get_runtime_property_value,
          missing);
  resolve(library.get(), "hostfxr_run_app", api.run_app, missing);
  resolve(library.get(), "hostfxr_close", api.close, missing);
  resolve(library.get(), "hostfxr_set_error_writer", api.set_error_writer, missing);
  if (!missing.empty()) {
    return common::fail("hostfxr " + path.string() + " lacks the entry point(s) " + missing +
                        " (in-process hosting needs hostfxr from .NET Core 3.0 or later)");
  }
  return std::make_unique<Hostfxr>(Key(), std::move(library), path, api);
}

Hostfxr::Hostfxr(Key, std::unique_ptr<void, Closer> library, fs::path path, HostfxrApi api)
    : library_(std::move(library)), path_(std::move(path)), api_(api) {}

void Hostfxr::Closer::operator()(void* library) const { ::dlclose(library); }

std::int32_t Hostfxr::initialize(const LaunchPlan& plan, HostfxrHandle* handle) const {
  std::vector<const char*> argv;
  argv.reserve(plan.argv.size());
  for (const std::string& word : plan.argv) argv.push_back(word.c_str());
  HostfxrInitializeParameters parameters{sizeof(HostfxrInitializeParameters),
                                         plan.host_path.c_str(), plan.dotnet_root.c_str()};
  return api_.initialize_for_dotnet_command_line(static_cast<int>(argv.size()), argv.data(),
                                                 &parameters, handle);
}

}  // namespace ancm::loader
