// Finds the aspNetCore section in web.config text and returns it as plain
// strings with line numbers; no value is interpreted here.
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

struct RawSection {
  int line = 0;                                    // of the aspNetCore element
  std::map<std::string, RawAttribute> attributes;  // exact (case-sensitive) names
  std::vector<RawEntry> environment_variables;
  std::vector<RawEntry> handler_settings;
};

// nullopt after reporting why (malformed XML, no section, two sections).
std::optional<RawSection> read_section(const std::string& xml, ErrorSink& errors);

}  // namespace ancm::config::detail
