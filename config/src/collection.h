// The walk every web.config collection (environmentVariables, handlerSettings)
// shares, as in any IIS collection: <clear/> empties it, <remove name> and
// <add name value> change one entry, and an entry without a name is reported
// and skipped.
#pragma once

#include <concepts>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostics.h"
#include "xml_reader.h"

namespace ancm::config::detail {

// How a name matches and where an added entry goes is the collection's own.
template <typename C>
concept EditableCollection = requires(C collection, const std::string& name,
                                      const RawEntry& entry) {
  collection.clear();
  collection.remove(name);
  collection.add(entry);  // entry.name is set and not empty
};

// unnamed_error: what an entry without a name is told, with an example of one.
template <EditableCollection C>
void apply_collection(const std::vector<RawEntry>& entries, C& collection,
                      std::string_view unnamed_error, ErrorSink& errors) {
  for (const RawEntry& entry : entries) {
    if (entry.kind == RawEntry::Kind::Clear) {
      collection.clear();
    } else if (!entry.name || entry.name->empty()) {
      errors.add(entry.line, "name", std::string(unnamed_error));
    } else if (entry.kind == RawEntry::Kind::Remove) {
      collection.remove(*entry.name);
    } else {
      collection.add(entry);
    }
  }
}

}  // namespace ancm::config::detail
