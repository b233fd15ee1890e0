#include "attributes.h"

#include <cstdint>
#include <string_view>

#include "expand.h"
#include "paths.h"
#include "values.h"

namespace ancm::config {

const char* to_string(HostingModel model) {
  return model == HostingModel::InProcess ? "inprocess" : "outofprocess";
}

namespace detail {
namespace {

constexpr std::string_view kDefaultStdoutLogFile = "aspnetcore-stdout";

std::string bool_text(bool value) { return value ? "true" : "false"; }

Result<HostingModel> parse_hosting_model(std::string_view text) {
  // An empty value is what IIS stores for "not set"; ANCM reads it as in-process.
  if (text.empty() || iequals(text, "inprocess")) {
    return HostingModel::InProcess;
  }
  if (iequals(text, "outofprocess")) {
    return HostingModel::OutOfProcess;
  }
  return common::fail("'" + std::string(text) +
                      "' is not a hosting model; allowed: inprocess or "
                      "outofprocess (any case)");
}

// Reads one attribute after another in the order `ancm-host check` lists them.
class AttributeResolver {
 public:
  AttributeResolver(const RawSection& section, const EnvLookup& env, AppConfig& config,
                    ErrorSink& errors)
      : section_(section), env_(env), config_(config), errors_(errors) {}

  void run() {
    process_path();
    arguments();
    typed("hostingModel", config_.hosting_model, parse_hosting_model,
          [](HostingModel m) { return std::string(to_string(m)); });
    processes_per_application();
    typed("stdoutLogEnabled", config_.stdout_log_enabled, parse_bool, bool_text);
    stdout_log_file();
    seconds("startupTimeLimit", config_.startup_time_limit, 3600);
    seconds("shutdownTimeLimit", config_.shutdown_time_limit, 600);
    integer("rapidFailsPerMinute", config_.rapid_fails_per_minute, 0, 100);
    in_process_note();
    typed("requestTimeout", config_.request_timeout, parse_timespan, format_timespan);
    in_process_note();
    typed("disableStartUpErrorPage", config_.disable_startup_error_page, parse_bool, bool_text);
    typed("forwardWindowsAuthToken", config_.forward_windows_auth_token, parse_bool, bool_text);
    config_.resolved.back().note = "accepted; no effect on Linux";
  }

 private:
  const RawAttribute* find(std::string_view name) const {
    auto it = section_.attributes.find(std::string(name));
    return it == section_.attributes.end() ? nullptr : &it->second;
  }

  void record(std::string_view name, std::string value, bool defaulted, std::string note = {}) {
    config_.resolved.push_back(
        ResolvedSetting{std::string(name), std::move(value), defaulted, std::move(note)});
  }

  // An attribute whose text parses into `field`; the field keeps its default
  // when the attribute is absent.
  template <typename T, typename Parse, typename Format>
  void typed(std::string_view name, T& field, Parse parse, Format format) {
    const RawAttribute* raw = find(name);
    if (raw != nullptr) {
      auto parsed = parse(raw->value);
      if (parsed.ok()) {
        field = parsed.value();
      } else {
        errors_.add(raw->line, std::string(name), parsed.error());
      }
    }
    record(name, format(field), raw == nullptr);
  }

  void integer(std::string_view name, int& field, std::int64_t min, std::int64_t max) {
    typed(
        name, field,
        [&](std::string_view text) -> Result<int> {
          auto parsed = parse_integer(text, min, max);
          if (!parsed.ok()) return common::fail(parsed.error());
          return static_cast<int>(parsed.value());
        },
        [](int value) { return std::to_string(value); });
  }

  void seconds(std::string_view name, std::chrono::seconds& field, std::int64_t max) {
    typed(
        name, field,
        [&](std::string_view text) -> Result<std::chrono::seconds> {
          auto parsed = parse_integer(text, 0, max);
          if (!parsed.ok()) return common::fail(parsed.error());
          return std::chrono::seconds(parsed.value());
        },
        [](std::chrono::seconds value) { return std::to_string(value.count()); });
  }

  // Marks the setting just recorded as one only the out-of-process handler uses.
  void in_process_note() {
    if (config_.hosting_model == HostingModel::InProcess) {
      config_.resolved.back().note = "no effect in-process";
    }
  }

  // ANCM_LAUNCHER_PATH (set by tools that launch the app their own way)
  // replaces processPath before anything else happens to it.
  void process_path() {
    const RawAttribute* raw = find("processPath");
    std::string written;
    std::string note;
    if (auto launcher = env_("ANCM_LAUNCHER_PATH"); launcher && !launcher->empty()) {
      written = *launcher;
      note = "from ANCM_LAUNCHER_PATH";
    } else if (raw == nullptr) {
      errors_.add(section_.line, "processPath",
                  "is required: the program that starts the app, e.g. \"dotnet\" or "
                  "\".\\MyApp.exe\"");
      return record("processPath", "", false);
    } else {
      written = raw->value;
    }
    std::string expanded = expand_variables(written, env_);
    if (expanded.find_first_not_of(" \t") == std::string::npos) {
      errors_.add(raw != nullptr ? raw->line : section_.line, "processPath",
                  written.empty() ? "must not be empty; give the program that starts the app, "
                                    "e.g. \"dotnet\" or \".\\MyApp.exe\""
                                  : "'" + written + "' is empty after %VAR% expansion");
      return record("processPath", "", false, note);
    }
    config_.process_path = resolve_process_path(expanded, config_.app_path);
    record("processPath", config_.process_path, false, note);
  }

  // ANCM_LAUNCHER_ARGS replaces arguments when it is defined, even empty:
  // a launcher that passes no arguments means none.
  void arguments() {
    const RawAttribute* raw = find("arguments");
    std::string written;
    std::string note;
    if (auto launcher = env_("ANCM_LAUNCHER_ARGS")) {
      written = *launcher;
      note = "from ANCM_LAUNCHER_ARGS";
    } else if (raw != nullptr) {
      written = raw->value;
    }
    config_.arguments = translate_arguments(expand_variables(written, env_));
    record("arguments", config_.arguments, raw == nullptr && note.empty(), note);
  }

  // ANCM runs exactly one in-process app instance; more only make sense
  // out-of-process. The written value is kept visible in the note.
  void processes_per_application() {
    integer("processesPerApplication", config_.processes_per_application, 1, 100);
    if (config_.hosting_model == HostingModel::InProcess &&
        config_.processes_per_application != 1) {
      ResolvedSetting& shown = config_.resolved.back();
      shown.note = "in-process runs one instance; web.config says " + shown.value;
      shown.value = "1";
      config_.processes_per_application = 1;
    }
  }

  void stdout_log_file() {
    const RawAttribute* raw = find("stdoutLogFile");
    bool defaulted = raw == nullptr || raw->value.empty();
    std::string written = defaulted ? std::string(kDefaultStdoutLogFile) : raw->value;
    config_.stdout_log_file = resolve_path(expand_variables(written, env_), config_.app_path);
    record("stdoutLogFile", config_.stdout_log_file.string(), defaulted);
  }

  const RawSection& section_;
  const EnvLookup& env_;
  AppConfig& config_;
  ErrorSink& errors_;
};

}  // namespace

void apply_attributes(const RawSection& section, const EnvLookup& env, AppConfig& config,
                      ErrorSink& errors) {
  for (const auto& [name, raw] : section.attributes) config.attribute_lines.emplace(name, raw.line);
  AttributeResolver(section, env, config, errors).run();
}

}  // namespace detail
}  // namespace ancm::config
