#include "handler_settings.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <variant>

#include "collection.h"
#include "paths.h"
#include "values.h"

namespace fs = std::filesystem;

namespace ancm::config::detail {
namespace {

using HS = HandlerSettings;
// Which HandlerSettings member a setting fills; its type picks the parser.
using Field = std::variant<bool HS::*, std::size_t HS::*, std::string HS::*, fs::path HS::*,
                           std::chrono::milliseconds HS::*>;

// Checks a stored value beyond its type; null when the type says it all.
using Check = Result<void> (*)(const HS&);

struct KnownSetting {
  std::string_view name;
  Field field;
  Check check = nullptr;
};

// The worker writes it into a request line of its own (warm_up.cpp): an
// origin-form target, visible ASCII only.
Result<void> check_initialization_page(const HS& settings) {
  const std::string& page = settings.initialization_page;
  if (page.empty()) return {};
  bool visible = std::all_of(page.begin(), page.end(), [](char c) { return c > ' ' && c < 0x7f; });
  if (page.front() != '/' || !visible) {
    return common::fail("'" + page +
                        "' is not a path: it must start with '/' and hold no spaces or control "
                        "characters, e.g. /warmup");
  }
  return {};
}

// In the order `ancm-host check` lists them.
const std::array<KnownSetting, 14> kKnownSettings = {{
    {"stackSize", &HS::stack_size},
    {"debugLevel", &HS::debug_level},
    {"debugFile", &HS::debug_file},
    {"setCurrentDirectory", &HS::set_current_directory},
    {"callStartupHook", &HS::call_startup_hook},
    {"shutdownDelay", &HS::shutdown_delay},
    {"enableShadowCopy", &HS::enable_shadow_copy},
    {"shadowCopyDirectory", &HS::shadow_copy_directory},
    {"cleanShadowCopyDirectory", &HS::clean_shadow_copy_directory},
    {"enableOutOfProcessConsoleRedirection", &HS::enable_out_of_process_console_redirection},
    {"forwardResponseConnectionHeader", &HS::forward_response_connection_header},
    {"warmStart", &HS::warm_start},
    {"batchScheduling", &HS::batch_scheduling},
    {"initializationPage", &HS::initialization_page, check_initialization_page},
}};

// Each assign() stores the value or returns why it cannot.
class Assigner {
 public:
  Assigner(std::string_view value, HS& settings, const fs::path& app_path)
      : value_(value), settings_(settings), app_path_(app_path) {}

  Result<void> operator()(bool HS::*field) const { return store(parse_bool(value_), field); }
  Result<void> operator()(std::size_t HS::*field) const {
    Result<std::uint64_t> parsed = parse_byte_count(value_);
    if (parsed.ok() && parsed.value() > std::numeric_limits<std::size_t>::max()) {
      return common::fail("'" + std::string(value_) + "' is too large");
    }
    return store(parsed, field);
  }
  Result<void> operator()(std::string HS::*field) const {
    settings_.*field = std::string(value_);
    return {};
  }
  Result<void> operator()(fs::path HS::*field) const {
    settings_.*field = resolve_path(value_, app_path_);
    return {};
  }
  Result<void> operator()(std::chrono::milliseconds HS::*field) const {
    Result<std::int64_t> parsed =
        parse_integer(value_, 0, std::numeric_limits<std::int32_t>::max());
    if (!parsed.ok()) return common::fail(parsed.error() + " (milliseconds)");
    settings_.*field = std::chrono::milliseconds(parsed.value());
    return {};
  }

 private:
  template <typename P, typename F>
  Result<void> store(const P& parsed, F field) const {
    if (!parsed.ok()) return common::fail(parsed.error());
    settings_.*field =
        static_cast<std::remove_reference_t<decltype(settings_.*field)>>(parsed.value());
    return {};
  }

  std::string_view value_;
  HS& settings_;
  const fs::path& app_path_;
};

struct Shower {
  const HS& settings;
  std::string operator()(bool HS::*field) const { return settings.*field ? "true" : "false"; }
  std::string operator()(std::size_t HS::*field) const { return std::to_string(settings.*field); }
  std::string operator()(std::string HS::*field) const { return settings.*field; }
  std::string operator()(fs::path HS::*field) const { return (settings.*field).string(); }
  std::string operator()(std::chrono::milliseconds HS::*field) const {
    return std::to_string((settings.*field).count());
  }
};

const KnownSetting* find_known(std::string_view name) {
  auto it = std::find_if(kKnownSettings.begin(), kKnownSettings.end(),
                         [&](const KnownSetting& known) { return iequals(known.name, name); });
  return it == kKnownSettings.end() ? nullptr : &*it;
}

struct Written {
  std::string name;
  std::string value;
  int line = 0;
};

// The entries left after <remove> and <clear/>, in document order. Names
// match case-insensitively; a later add is one more entry (the last one wins).
class SurvivingEntries {
 public:
  void clear() { kept_.clear(); }
  void remove(const std::string& name) {
    std::erase_if(kept_, [&](const Written& w) { return iequals(w.name, name); });
  }
  void add(const RawEntry& entry) {
    kept_.push_back(Written{*entry.name, entry.value, entry.line});
  }
  const std::vector<Written>& kept() const { return kept_; }

 private:
  std::vector<Written> kept_;
};

std::vector<Written> surviving_entries(const std::vector<RawEntry>& entries, ErrorSink& errors) {
  SurvivingEntries surviving;
  apply_collection(entries, surviving,
                   "handlerSetting needs a non-empty name, e.g. "
                   "<handlerSetting name=\"stackSize\" value=\"2097152\" />",
                   errors);
  return surviving.kept();
}

}  // namespace

void apply_handler_settings(const std::vector<RawEntry>& entries, AppConfig& config,
                            ErrorSink& errors) {
  std::array<bool, kKnownSettings.size()> written{};
  for (const Written& entry : surviving_entries(entries, errors)) {
    config.handler_settings.emplace_back(entry.name, entry.value);
    const KnownSetting* known = find_known(entry.name);
    if (known == nullptr) continue;
    written[static_cast<std::size_t>(known - kKnownSettings.data())] = true;
    Assigner assign(entry.value, config.handler, config.app_path);
    auto assigned = std::visit(assign, known->field);
    if (assigned.ok() && known->check) assigned = known->check(config.handler);
    if (!assigned.ok()) {
      errors.add(entry.line, "handlerSetting:" + std::string(known->name), assigned.error());
    }
  }
  for (std::size_t i = 0; i < kKnownSettings.size(); ++i) {
    const KnownSetting& known = kKnownSettings[i];
    config.resolved.push_back(ResolvedSetting{"handlerSetting:" + std::string(known.name),
                                              std::visit(Shower{config.handler}, known.field),
                                              !written[i],
                                              {}});
  }
}

}  // namespace ancm::config::detail
