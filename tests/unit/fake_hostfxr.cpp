// A stand-in libhostfxr.so for the loader tests: the entry points the loader
// resolves, with the error writer kept per thread as the real hostfxr keeps it.
// Built twice; ANCM_FAKE_HOSTFXR_PARTIAL leaves out hostfxr_run_app and
// hostfxr_set_error_writer.
#include <cstddef>
#include <cstdint>
#include <string>

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using Writer = void (*)(const char*);
thread_local Writer t_writer = nullptr;

struct InitializeParameters {
  std::size_t size;
  const char* host_path;
  const char* dotnet_root;
};

void write(const std::string& line) {
  if (t_writer) t_writer(line.c_str());
}

}  // namespace

// Writes each argument, then the parameters, as error lines; fails as
// FrameworkMissingFailure.
FAKE_EXPORT std::int32_t hostfxr_initialize_for_dotnet_command_line(
    int argc, const char** argv, const InitializeParameters* parameters, void** handle) {
  for (int i = 0; i < argc; ++i) write(argv[i]);
  if (parameters) {
    write("size=" + std::to_string(parameters->size));
    write(std::string("host_path=") + parameters->host_path);
    write(std::string("dotnet_root=") + parameters->dotnet_root);
  }
  *handle = nullptr;
  return static_cast<std::int32_t>(0x80008096u);
}

FAKE_EXPORT std::int32_t hostfxr_set_runtime_property_value(void*, const char*, const char*) {
  return 0;
}

FAKE_EXPORT std::int32_t hostfxr_get_runtime_property_value(void*, const char*,
                                                            const char** value) {
  *value = "fake";
  return 0;
}

FAKE_EXPORT std::int32_t hostfxr_close(void*) { return 0; }

// For the tests: the writer registered on the calling thread.
FAKE_EXPORT Writer fake_hostfxr_current_writer() { return t_writer; }

#ifndef ANCM_FAKE_HOSTFXR_PARTIAL
FAKE_EXPORT std::int32_t hostfxr_run_app(void*) { return 0; }

FAKE_EXPORT Writer hostfxr_set_error_writer(Writer writer) {
  Writer previous = t_writer;
  t_writer = writer;
  return previous;
}
#endif
