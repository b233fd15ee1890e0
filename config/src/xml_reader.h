// Finds the aspNetCore section (and the request limits beside it) in
// web.config text and returns them as plain strings with line numbers; no
// value is interpreted here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "diagnostics.h"

namespace ancm::config::detail {

struct RawAttribute {
  std::string value;
  int line = 0;
};

// One child of a collection element (environmentVariables, handlerSettings),
// in the IIS collection vocabulary: add (the named element), remove, clear.
struct RawEntry {
  enum class Kind { Add, Remove, Clear };
  Kind kind = Kind::Add;
  std::optional<std::string> name;  // nullopt when the attribute is absent
  std::string value;
  int line = 0;
};

// An element's attributes by exact (case-sensitive) name.
using RawAttributes = std::map<std::string, RawAttribute>;

// system.webServer/security/requestFiltering/requestLimits, IIS's section
// for request sizes.
struct RawRequestLimits {
  int line = 0;
  RawAttributes attributes;
};

struct RawSection {
  int line = 0;  // of the aspNetCore element
  RawAttributes attributes;
  std::vector<RawEntry> environment_variables;
  std::vector<RawEntry> handler_settings;
  std::optional<RawRequestLimits> request_limits;  // nullopt when not written
};

// nullopt after reporting why (malformed XML, no section, two sections).
// Lines count in the text as written, whatever its encoding (utf8_text.h).
std::optional<RawSection> read_section(const std::string& written, ErrorSink& errors);

}  // namespace ancm::config::detail
