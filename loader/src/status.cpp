// hostfxr's StatusCode values (dotnet/runtime src/native/corehost/error_codes.h,
// documented in docs/design/features/host-error-codes.md). Older names are used
// where the header renamed them later (CoreHostCurHostFindFailure, ...).
#include <cstdio>
#include <iterator>

#include "ancm/loader/loader.h"

namespace ancm::loader {
namespace {

struct Status {
  std::uint32_t code;
  const char* name;
  const char* words;
};

constexpr Status kStatuses[] = {
    {0x00000000, "Success", "success"},
    {0x00000001, "Success_HostAlreadyInitialized",
     "success, but another host context was already initialized"},
    {0x00000002, "Success_DifferentRuntimeProperties",
     "success, but an already initialized host context has different runtime properties"},
    {0x80008081, "InvalidArgFailure", "one or more arguments are invalid"},
    {0x80008082, "CoreHostLibLoadFailure", "a hosting component could not be loaded"},
    {0x80008083, "CoreHostLibMissingFailure",
     "a hosting component (hostpolicy) is missing; the app's runtimeconfig.json or the "
     ".NET install may be broken"},
    {0x80008084, "CoreHostEntryPointFailure", "a hosting component lacks a required entry point"},
    {0x80008085, "CoreHostCurHostFindFailure",
     "the path of the current hosting component, and so the .NET install, was not found"},
    {0x80008087, "CoreClrResolveFailure", "libcoreclr.so was not found"},
    {0x80008088, "CoreClrBindFailure", "libcoreclr.so could not be loaded or lacks an entry point"},
    {0x80008089, "CoreClrInitFailure", "the runtime failed to initialize (coreclr_initialize)"},
    {0x8000808a, "CoreClrExeFailure", "the runtime failed to run the app's assembly"},
    {0x8000808b, "ResolverInitFailure",
     "the dependency resolver failed to start (a missing or invalid .deps.json)"},
    {0x8000808c, "ResolverResolveFailure",
     "a dependency listed in a .deps.json could not be resolved"},
    {0x8000808d, "LibHostCurExeFindFailure", "the current executable's path was not found"},
    {0x8000808e, "LibHostInitFailure",
     "hostpolicy failed to initialize (mismatched hostfxr and hostpolicy)"},
    {0x80008090, "LibHostExecModeFailure", "hostpolicy's execution mode failed"},
    {0x80008091, "LibHostSdkFindFailure", "the requested .NET SDK was not found"},
    {0x80008092, "LibHostInvalidArgs", "arguments to hostpolicy are invalid"},
    {0x80008093, "InvalidConfigFile", "the app's .runtimeconfig.json is invalid"},
    {0x80008094, "AppArgNotRunnable", "the command line names no app to run"},
    {0x80008095, "AppHostExeNotBoundFailure", "the apphost does not know which app to run"},
    {0x80008096, "FrameworkMissingFailure", "a framework the app needs was not found"},
    {0x80008097, "HostApiFailed", "a hosting API call failed"},
    {0x80008098, "HostApiBufferTooSmall", "a buffer given to a hosting API is too small"},
    {0x80008099, "LibHostUnknownCommand", "unknown command"},
    {0x8000809a, "LibHostAppRootFindFailure", "the app's path does not exist"},
    {0x8000809b, "SdkResolverResolveFailure", "the requested .NET SDK could not be resolved"},
    {0x8000809c, "FrameworkCompatFailure",
     "the app references incompatible versions of the same framework"},
    {0x8000809d, "FrameworkCompatRetry", "framework resolution needs a retry (internal)"},
    {0x8000809e, "AppHostExeNotBundle", "the apphost is not a single-file bundle"},
    {0x8000809f, "BundleExtractionFailure", "extracting the single-file bundle failed"},
    {0x800080a0, "BundleExtractionIOError",
     "reading or writing files of the single-file bundle failed"},
    {0x800080a1, "LibHostDuplicateProperty",
     "the app's .runtimeconfig.json sets a runtime property that the host sets"},
    {0x800080a2, "HostApiUnsupportedVersion", "this hostfxr is too old for the feature used"},
    {0x800080a3, "HostInvalidState",
     "the hosting state does not allow this call (a runtime may already be loaded)"},
    {0x800080a4, "HostPropertyNotFound", "the runtime property does not exist"},
    {0x800080a5, "CoreHostIncompatibleConfig",
     "the app's configuration is incompatible with the runtime already loaded"},
    {0x800080a6, "HostApiUnsupportedScenario", "the hosting API does not support this scenario"},
    {0x800080a7, "HostFeatureDisabled", "a required hosting feature is disabled"},
};

constexpr std::uint32_t kFrameworkMissingFailure = 0x80008096;
constexpr std::uint32_t kFrameworkCompatFailure = 0x8000809c;

std::string hex(std::uint32_t code) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", code);
  return text;
}

}  // namespace

std::string describe_hostfxr_status(std::int32_t code) {
  auto value = static_cast<std::uint32_t>(code);
  for (const Status& status : kStatuses) {
    if (status.code == value) {
      return std::string(status.name) + " (" + hex(value) + "): " + status.words;
    }
  }
  return hex(value) + " (not a known hostfxr status)";
}

bool is_framework_missing(std::int32_t code) {
  auto value = static_cast<std::uint32_t>(code);
  return value == kFrameworkMissingFailure || value == kFrameworkCompatFailure;
}

bool is_hostfxr_success(std::int32_t code) { return code >= 0; }

}  // namespace ancm::loader
