#include "ancm/common/resolved_settings.h"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string_view>

#include "ancm/abi_strings.h"
#include "ancm/common/ascii.h"
#include "ancm/common/setting_text.h"

namespace ancm::common {
namespace {

using S = ResolvedSettings;
using abi::view;

constexpr std::string_view kHandlerPrefix = "handlerSetting:";
constexpr std::int64_t kMaxTimespanSeconds = 360 * 3600;
constexpr std::int64_t kMaxStackSize = std::int64_t{1} << 40;

// Whole seconds, 0 to 360 hours (startupTimeLimit, shutdownTimeLimit).
Result<std::chrono::seconds> read_seconds(std::string_view text) {
  auto value = parse_integer(text, 0, kMaxTimespanSeconds);
  if (!value.ok()) return fail(std::move(value).error());
  return std::chrono::seconds(value.value());
}

// "hh:mm:ss" as the configuration writes it, or whole seconds (a host that
// hands a handler its settings directly may write those).
Result<std::chrono::seconds> read_time_span(std::string_view text) {
  return text.find(':') == std::string_view::npos ? read_seconds(text) : parse_timespan(text);
}

// Stores a read value through `set`, or passes its error on.
template <typename T, typename Set>
Result<void> store(Result<T> read, Set set) {
  if (!read.ok()) return fail(std::move(read).error());
  set(std::move(read).value());
  return {};
}

using Apply = Result<void> (*)(std::string_view value, S& settings);

// One setting the handlers read; `only` names the hosting model that uses it
// (the other one skips it, as a setting that is not its own).
struct Known {
  std::string_view name;  // web.config's, or handlerSetting:<name> matched in any case
  std::optional<ModuleHosting> only;
  Apply apply;
};

constexpr auto kInProcess = ModuleHosting::InProcess;
constexpr auto kOutOfProcess = ModuleHosting::OutOfProcess;

const std::array<Known, 12> kAttributes = {{
    {"processPath",
     {},
     [](auto v, S& s) {
       s.process_path = std::string(v);
       return Result<void>{};
     }},
    {"arguments",
     {},
     [](auto v, S& s) {
       s.arguments = std::string(v);
       return Result<void>{};
     }},
    {"startupTimeLimit",
     {},
     [](auto v, S& s) {
       return store(read_seconds(v), [&](auto t) { s.startup_time_limit = t; });
     }},
    {"shutdownTimeLimit",
     {},
     [](auto v, S& s) {
       return store(read_seconds(v), [&](auto t) { s.shutdown_time_limit = t; });
     }},
    {"stdoutLogEnabled",
     {},
     [](auto v, S& s) { return store(parse_bool(v), [&](bool b) { s.stdout_log_enabled = b; }); }},
    {"stdoutLogFile",
     {},
     [](auto v, S& s) {
       s.stdout_log_file = std::string(v);
       return Result<void>{};
     }},
    {"bindings", kInProcess,
     [](auto v, S& s) {
       s.bindings = std::string(v);
       return Result<void>{};
     }},
    {"requestLimits:maxAllowedContentLength", kInProcess,
     [](auto v, S& s) {
       return store(parse_integer(v, 0, UINT32_MAX), [&](std::int64_t n) {
         s.max_request_body_size = static_cast<std::uint64_t>(n);
       });
     }},
    {"requestTimeout", kOutOfProcess,
     [](auto v, S& s) { return store(read_time_span(v), [&](auto t) { s.request_timeout = t; }); }},
    {"rapidFailsPerMinute", kOutOfProcess,
     [](auto v, S& s) {
       return store(parse_integer(v, 0, 100),
                    [&](std::int64_t n) { s.rapid_fails_per_minute = static_cast<int>(n); });
     }},
    {"processesPerApplication", kOutOfProcess,
     [](auto v, S& s) {
       return store(parse_integer(v, 1, 100),
                    [&](std::int64_t n) { s.processes_per_application = static_cast<int>(n); });
     }},
    // Not part of web.config; a host that mounts the app under a path passes it.
    {"pathBase", kOutOfProcess,
     [](auto v, S& s) {
       std::string base(v);
       if (base.empty() || base.front() != '/') base.insert(base.begin(), '/');
       s.path_base = std::move(base);
       return Result<void>{};
     }},
}};

const std::array<Known, 8> kHandlerSettings = {{
    {"stackSize", kInProcess,
     [](auto v, S& s) {
       return store(parse_integer(v, 1, kMaxStackSize),
                    [&](std::int64_t n) { s.stack_size = static_cast<std::size_t>(n); });
     }},
    {"shutdownDelay", kInProcess,
     [](auto v, S& s) {
       return store(parse_integer(v, 0, INT32_MAX),
                    [&](std::int64_t n) { s.shutdown_delay = std::chrono::milliseconds(n); });
     }},
    {"callStartupHook", kInProcess,
     [](auto v, S& s) { return store(parse_bool(v), [&](bool b) { s.call_startup_hook = b; }); }},
    {"setCurrentDirectory", kInProcess,
     [](auto v, S& s) {
       return store(parse_bool(v), [&](bool b) { s.set_current_directory = b; });
     }},
    {"enableOutOfProcessConsoleRedirection", kOutOfProcess,
     [](auto v, S& s) { return store(parse_bool(v), [&](bool b) { s.console_redirection = b; }); }},
    {"forwardResponseConnectionHeader", kOutOfProcess,
     [](auto v, S& s) {
       return store(parse_bool(v), [&](bool b) { s.forward_response_connection_header = b; });
     }},
    {"warmStart", kOutOfProcess,
     [](auto v, S& s) { return store(parse_bool(v), [&](bool b) { s.warm_start = b; }); }},
    {"batchScheduling", kOutOfProcess,
     [](auto v, S& s) { return store(parse_bool(v), [&](bool b) { s.batch_scheduling = b; }); }},
}};

const Known* find_known(std::string_view name, ModuleHosting hosting) {
  auto handler = name.starts_with(kHandlerPrefix);
  const auto& table =
      handler ? std::span<const Known>(kHandlerSettings) : std::span<const Known>(kAttributes);
  if (handler) name.remove_prefix(kHandlerPrefix.size());
  auto it = std::find_if(table.begin(), table.end(), [&](const Known& known) {
    return handler ? iequals(known.name, name) : known.name == name;
  });
  if (it == table.end() || (it->only && *it->only != hosting)) return nullptr;
  return &*it;
}

}  // namespace

Result<ResolvedSettings> read_resolved_settings(const ancm_app_params& params,
                                                ModuleHosting hosting) {
  ResolvedSettings settings;
  settings.config_path = std::filesystem::path(abi::to_string(params.config_path));
  settings.app_path = std::filesystem::path(abi::to_string(params.app_path));
  for (std::size_t i = 0; i < params.settings_count; ++i) {
    std::string_view name = view(params.settings[i].name);
    const Known* known = find_known(name, hosting);
    if (!known) continue;  // hostingModel, disableStartUpErrorPage, ...: not read by a handler
    if (auto applied = known->apply(view(params.settings[i].value), settings); !applied.ok()) {
      return fail("setting " + std::string(name) + ": " + applied.error());
    }
  }
  for (std::size_t i = 0; i < params.environment_count; ++i) {
    settings.environment.emplace_back(abi::to_string(params.environment[i].name),
                                      abi::to_string(params.environment[i].value));
  }
  return settings;
}

}  // namespace ancm::common
