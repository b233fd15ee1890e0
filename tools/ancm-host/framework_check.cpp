#include "framework_check.h"

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "ancm/common/ascii.h"

namespace ancm::tools {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// major.minor.patch; a pre-release suffix ("-rc.1") is ignored.
using Version = std::array<int, 3>;

std::optional<Version> parse_version(std::string_view text) {
  Version version{};
  const char* at = text.data();
  const char* end = text.data() + text.size();
  for (std::size_t i = 0; i < version.size(); ++i) {
    auto [next, ec] = std::from_chars(at, end, version[i]);
    if (ec != std::errc{}) return std::nullopt;
    at = next;
    if (i + 1 < version.size()) {
      if (at == end || *at != '.') return std::nullopt;
      ++at;
    }
  }
  return version;
}

// hostfxr's rollForward values (default Minor; LatestMinor/LatestMajor pick
// differently among the acceptable ones, but accept the same ones).
bool acceptable(const Version& installed, const Version& wanted, std::string_view roll_forward) {
  using common::iequals;  // hostfxr reads the value without regard to case
  if (installed < wanted) return false;
  if (iequals(roll_forward, "Disable")) return installed == wanted;
  if (iequals(roll_forward, "LatestPatch")) {
    return installed[0] == wanted[0] && installed[1] == wanted[1];
  }
  if (iequals(roll_forward, "Major") || iequals(roll_forward, "LatestMajor")) return true;
  return installed[0] == wanted[0];  // Minor, LatestMinor
}

std::string installed_versions(const fs::path& dir, std::optional<Version>* best,
                               const Version& wanted, std::string_view roll_forward) {
  std::string list;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    list += (list.empty() ? "" : ", ") + name;
    auto version = parse_version(name);
    if (version && acceptable(*version, wanted, roll_forward) && (!*best || *version < **best)) {
      *best = version;
    }
  }
  return list.empty() ? "none" : list;
}

std::optional<std::string> string_field(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  if (!value || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

CheckFinding check_framework(const std::string& name, const std::string& version_text,
                             const fs::path& dotnet_root, std::string_view roll_forward,
                             const fs::path& file) {
  std::string subject = "framework " + name;
  auto wanted = parse_version(version_text);
  if (!wanted) {
    return CheckFinding::wrong(subject, "version '" + version_text + "' is not a version",
                               "publish the app again", file);
  }
  std::optional<Version> best;
  auto installed = installed_versions(dotnet_root / "shared" / name, &best, *wanted, roll_forward);
  if (best) {
    return CheckFinding::found(subject, version_text + " wanted, " + std::to_string((*best)[0]) +
                                            "." + std::to_string((*best)[1]) + "." +
                                            std::to_string((*best)[2]) + " installed in " +
                                            (dotnet_root / "shared" / name).string());
  }
  return CheckFinding::wrong(
      subject,
      version_text + " (rollForward " + std::string(roll_forward) + ") is not installed in " +
          (dotnet_root / "shared" / name).string() + " (installed: " + installed +
          "); requests would get 500.31 in-process, 502.5 out-of-process",
      "install the .NET runtime with " + name + " " + version_text +
          " (dotnet --list-runtimes lists what is installed), or retarget the app",
      file);
}

}  // namespace

CheckFindings check_frameworks(const fs::path& runtime_config, const fs::path& dotnet_root) {
  std::ifstream in(runtime_config);
  if (!in) {
    return {CheckFinding::wrong("runtimeconfig", "cannot read " + runtime_config.string(),
                                "publish the app again: dotnet publish writes it beside the .dll",
                                runtime_config)};
  }
  std::stringstream text;
  text << in.rdbuf();
  // As hostfxr reads it: a UTF-8 byte order mark, comments and trailing commas pass.
  std::string content = text.str();
  if (content.starts_with("\xEF\xBB\xBF")) content.erase(0, 3);
  json::parse_options lenient;
  lenient.allow_comments = true;
  lenient.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value document = json::parse(content, ec, {}, lenient);
  const json::object* options = nullptr;
  if (!ec && document.is_object()) {
    if (auto* found = document.as_object().if_contains("runtimeOptions")) {
      options = found->if_object();
    }
  }
  if (!options) {
    return {CheckFinding::wrong("runtimeconfig",
                                runtime_config.string() + " is not a runtimeconfig.json" +
                                    (ec ? " (" + ec.message() + ")" : std::string()),
                                "publish the app again", runtime_config)};
  }
  if (options->contains("includedFrameworks")) {
    return {CheckFinding::found("frameworks", "self-contained: the app carries its runtime")};
  }
  std::string roll_forward = string_field(*options, "rollForward").value_or("Minor");
  std::vector<const json::object*> frameworks;
  if (auto* one = options->if_contains("framework"); one && one->is_object()) {
    frameworks.push_back(&one->as_object());
  }
  if (auto* many = options->if_contains("frameworks"); many && many->is_array()) {
    for (const auto& framework : many->as_array()) {
      if (framework.is_object()) frameworks.push_back(&framework.as_object());
    }
  }
  CheckFindings findings;
  for (const auto* framework : frameworks) {
    auto name = string_field(*framework, "name");
    auto version = string_field(*framework, "version");
    if (!name || !version) continue;
    findings.push_back(check_framework(*name, *version, dotnet_root, roll_forward, runtime_config));
  }
  return findings;
}

}  // namespace ancm::tools
