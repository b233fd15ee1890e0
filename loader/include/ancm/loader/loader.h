// Finding and loading hostfxr for an in-process app, and what to hand it
// (docs/architecture.md). Used by the in-process handler; depends only on common.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ancm/common/result.h"
#include "ancm/loader/hostfxr_api.h"

namespace ancm::loader {

// Looks a variable up; nullopt when undefined (same shape as config's).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// The fixed places searched for a dotnet root after DOTNET_ROOT_<ARCH>,
// DOTNET_ROOT and `dotnet` on PATH. Tests replace them.
struct SearchLocations {
  SearchLocations();
  // Files whose first line names a root: /etc/dotnet/install_location_<arch>, then
  // /etc/dotnet/install_location.
  std::vector<std::filesystem::path> install_location_files;
  std::vector<std::filesystem::path> default_roots;  // /usr/share/dotnet, /usr/lib/dotnet
};

struct LaunchPlan {
  bool self_contained = false;
  std::filesystem::path dotnet_root;   // the root used; self-contained: the app's folder
  std::filesystem::path hostfxr_path;  // the libhostfxr.so to load
  std::filesystem::path host_path;     // <root>/dotnet, or the app's own executable
  std::filesystem::path app_dll;       // absolute path of the app's main dll
  std::vector<std::string> argv;       // app dll first, then the arguments
  std::string found_via;               // where hostfxr came from, for the log
};

enum class PlanError {
  HostfxrNotFound,  // 500.32
  AppDllNotFound,   // 500.38 self-contained; the handler picks for framework-dependent
  BadArguments,     // `arguments` is empty (with dotnet) or cannot be split
};

struct PlanFailure {
  PlanError kind;
  std::string message;  // names every path searched
};

// processPath "dotnet": the app dll is the first word of `arguments` (relative
// to app_path) and hostfxr the highest <root>/host/fxr/<version>/libhostfxr.so
// of the first root that has one. Otherwise processPath is the app's
// executable with libhostfxr.so and <name>.dll next to it (self-contained), or
// an explicit path to a dotnet muxer.
common::Result<LaunchPlan, PlanFailure> make_launch_plan(
    const std::string& process_path, const std::string& arguments,
    const std::filesystem::path& app_path, const EnvLookup& env = process_environment(),
    const SearchLocations& locations = SearchLocations());

// A loaded libhostfxr.so with every entry point the in-process handler uses.
// Loaded RTLD_NODELETE: a runtime cannot be unloaded, so neither is hostfxr.
class Hostfxr {
  struct Key {
    explicit Key() = default;
  };
  struct Closer {
    void operator()(void* library) const;
  };

 public:
  // Fails with a message naming the path and dlerror(), or every missing entry point.
  static common::Result<std::unique_ptr<Hostfxr>> load(const std::filesystem::path& path);

  const HostfxrApi& api() const { return api_; }
  const std::filesystem::path& path() const { return path_; }

  // hostfxr_initialize_for_dotnet_command_line with the plan's argv, host_path
  // and dotnet_root. Returns hostfxr's status (see describe_hostfxr_status).
  std::int32_t initialize(const LaunchPlan& plan, HostfxrHandle* handle) const;

  Hostfxr(Key, std::unique_ptr<void, Closer> library, std::filesystem::path path, HostfxrApi api);

 private:
  std::unique_ptr<void, Closer> library_;
  std::filesystem::path path_;
  HostfxrApi api_;
};

// Collects, while alive, what hostfxr (and hostpolicy under it) writes to its
// error writer on the constructing thread, then puts the previous writer back.
// hostfxr registers writers per thread and passes them no context, so text
// reaches this object through a static trampoline and a thread_local pointer:
// the loader's only global state. Create and destroy it on the same thread
// (e.g. around initialize on the start thread, around run_app on the CLR thread).
class ErrorWriterCapture {
 public:
  explicit ErrorWriterCapture(const Hostfxr& hostfxr);
  ~ErrorWriterCapture();
  ErrorWriterCapture(const ErrorWriterCapture&) = delete;
  ErrorWriterCapture& operator=(const ErrorWriterCapture&) = delete;

  // One line per message hostfxr wrote, each ending in '\n'.
  const std::string& text() const { return text_; }

 private:
  HostfxrSetErrorWriterFn set_error_writer_;
  HostfxrErrorWriterFn previous_writer_;
  std::string* previous_buffer_;
  std::string text_;
};

// "FrameworkMissingFailure (0x80008096): a framework the app needs was not
// found"; codes that are not hostfxr statuses come back as hex.
std::string describe_hostfxr_status(std::int32_t code);
// FrameworkMissingFailure or FrameworkCompatFailure: a 500.31 page.
bool is_framework_missing(std::int32_t code);
// Success and its variants, like hostfxr's STATUS_CODE_SUCCEEDED (not for run_app,
// which returns the app's exit code).
bool is_hostfxr_success(std::int32_t code);

// The runtime's DEFAULT_STACK_SIZE property: hex without "0x" (8388608 -> "800000").
std::string format_runtime_stack_size(std::size_t bytes);

}  // namespace ancm::loader
