// hostfxr's C entry points as the loader uses them, transcribed from
// dotnet/runtime src/native/corehost/hostfxr.h (on Linux char_t is char).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ancm::loader {

using HostfxrHandle = void*;

// struct hostfxr_initialize_parameters
struct HostfxrInitializeParameters {
  std::size_t size;         // sizeof(HostfxrInitializeParameters)
  const char* host_path;    // the muxer, or the app's own executable
  const char* dotnet_root;  // where frameworks are looked up
};

extern "C" {
using HostfxrErrorWriterFn = void (*)(const char* message);
using HostfxrSetErrorWriterFn = HostfxrErrorWriterFn (*)(HostfxrErrorWriterFn error_writer);
using HostfxrInitializeForDotnetCommandLineFn =
    std::int32_t (*)(int argc, const char** argv, const HostfxrInitializeParameters* parameters,
                     HostfxrHandle* host_context_handle);
using HostfxrGetRuntimePropertyValueFn = std::int32_t (*)(const HostfxrHandle host_context_handle,
                                                          const char* name, const char** value);
using HostfxrSetRuntimePropertyValueFn = std::int32_t (*)(const HostfxrHandle host_context_handle,
                                                          const char* name, const char* value);
using HostfxrRunAppFn = std::int32_t (*)(const HostfxrHandle host_context_handle);
using HostfxrCloseFn = std::int32_t (*)(const HostfxrHandle host_context_handle);
}

// Every pointer is non-null once Hostfxr::load has succeeded.
struct HostfxrApi {
  HostfxrInitializeForDotnetCommandLineFn initialize_for_dotnet_command_line = nullptr;
  HostfxrSetRuntimePropertyValueFn set_runtime_property_value = nullptr;
  HostfxrGetRuntimePropertyValueFn get_runtime_property_value = nullptr;
  HostfxrRunAppFn run_app = nullptr;
  HostfxrCloseFn close = nullptr;
  HostfxrSetErrorWriterFn set_error_writer = nullptr;
};

}  // namespace ancm::loader
