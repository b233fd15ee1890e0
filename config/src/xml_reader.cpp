#include "xml_reader.h"

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <pugixml.hpp>
#include <string_view>

#include "utf8_text.h"

namespace ancm::config::detail {
namespace {

// pugixml reports byte offsets; users want line numbers.
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') starts_.push_back(i + 1);
    }
  }
  int line_of(std::ptrdiff_t offset) const {
    if (offset < 0) return 0;
    auto it = std::upper_bound(starts_.begin(), starts_.end(), static_cast<std::size_t>(offset));
    return static_cast<int>(it - starts_.begin());
  }
  int column_of(std::ptrdiff_t offset) const {
    if (offset < 0) return 0;
    int line = line_of(offset);
    return static_cast<int>(static_cast<std::size_t>(offset) - starts_[line - 1]) + 1;
  }

 private:
  std::vector<std::size_t> starts_;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// pugixml keeps no positions for attributes, so walk the start tag in the
// source text (from the element name at `offset`) and note where each
// attribute name begins. The document already parsed, so the tag is well formed.
std::map<std::string, std::ptrdiff_t, std::less<>> attribute_offsets(std::string_view text,
                                                                     std::ptrdiff_t offset) {
  std::map<std::string, std::ptrdiff_t, std::less<>> offsets;
  if (offset < 0) return offsets;
  std::size_t i = static_cast<std::size_t>(offset);
  auto at_tag_end = [&] { return i >= text.size() || text[i] == '>' || text[i] == '/'; };
  while (!at_tag_end() && !is_space(text[i])) ++i;  // the element name
  for (;;) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (at_tag_end()) break;
    std::size_t name_start = i;
    while (i < text.size() && text[i] != '=' && !is_space(text[i])) ++i;
    offsets.emplace(std::string(text.substr(name_start, i - name_start)),
                    static_cast<std::ptrdiff_t>(name_start));
    while (i < text.size() && text[i] != '"' && text[i] != '\'') ++i;
    if (i >= text.size()) break;
    char quote = text[i++];
    while (i < text.size() && text[i] != quote) ++i;
    ++i;  // past the closing quote
  }
  return offsets;
}

bool applies_to_app_root(const pugi::xml_node& location) {
  pugi::xml_attribute path = location.attribute("path");
  if (!path) return true;
  std::string_view value = path.value();
  return value.empty() || value == ".";
}

// The system.webServer elements that configure the app itself, in document
// order: configuration/system.webServer and the same inside
// <location path=".">. Locations for sub-paths belong to other apps.
std::vector<pugi::xml_node> find_web_servers(const pugi::xml_node& configuration) {
  std::vector<pugi::xml_node> web_servers;
  for (pugi::xml_node child : configuration.children()) {
    std::string_view name = child.name();
    if (name == "system.webServer") {
      web_servers.push_back(child);
    } else if (name == "location" && applies_to_app_root(child)) {
      for (pugi::xml_node web_server : child.children("system.webServer")) {
        web_servers.push_back(web_server);
      }
    }
  }
  return web_servers;
}

// Every element at `path` (child names) below the app's system.webServer
// elements, in document order.
std::vector<pugi::xml_node> find_all(const std::vector<pugi::xml_node>& web_servers,
                                     std::initializer_list<const char*> path) {
  std::vector<pugi::xml_node> found = web_servers;
  for (const char* name : path) {
    std::vector<pugi::xml_node> next;
    for (const pugi::xml_node& node : found) {
      for (pugi::xml_node child : node.children(name)) next.push_back(child);
    }
    found = std::move(next);
  }
  return found;
}

std::vector<RawEntry> read_collection(const pugi::xml_node& section, const char* collection,
                                      std::string_view add_name, const LineIndex& lines) {
  std::vector<RawEntry> entries;
  for (pugi::xml_node list : section.children(collection)) {
    for (pugi::xml_node item : list.children()) {
      if (item.type() != pugi::node_element) continue;
      std::string_view tag = item.name();
      RawEntry entry;
      if (tag == add_name) {
        entry.kind = RawEntry::Kind::Add;
      } else if (tag == "remove") {
        entry.kind = RawEntry::Kind::Remove;
      } else if (tag == "clear") {
        entry.kind = RawEntry::Kind::Clear;
      } else {
        continue;  // not part of the IIS schema for this collection
      }
      if (pugi::xml_attribute name = item.attribute("name")) entry.name = name.value();
      entry.value = item.attribute("value").value();
      entry.line = lines.line_of(item.offset_debug());
      entries.push_back(std::move(entry));
    }
  }
  return entries;
}

// One element of a kind is allowed; every further one is an error naming
// the first. True when there were duplicates.
bool report_duplicates(const std::vector<pugi::xml_node>& elements, const std::string& what,
                       const LineIndex& lines, ErrorSink& errors) {
  int first_line = lines.line_of(elements.front().offset_debug());
  for (std::size_t i = 1; i < elements.size(); ++i) {
    errors.add(lines.line_of(elements[i].offset_debug()), "",
               "duplicate " + what + " (the first one is at line " + std::to_string(first_line) +
                   "); keep exactly one");
  }
  return elements.size() > 1;
}

// The element's attributes with the line each is written on.
RawAttributes read_attributes(std::string_view xml, const pugi::xml_node& element,
                              const LineIndex& lines) {
  RawAttributes attributes;
  int element_line = lines.line_of(element.offset_debug());
  auto offsets = attribute_offsets(xml, element.offset_debug());
  for (pugi::xml_attribute attribute : element.attributes()) {
    auto where = offsets.find(std::string_view(attribute.name()));
    int line = where == offsets.end() ? element_line : lines.line_of(where->second);
    // The first of two same-named attributes wins, as it would in the DOM lookup.
    attributes.emplace(attribute.name(), RawAttribute{attribute.value(), line});
  }
  return attributes;
}

}  // namespace

std::optional<RawSection> read_section(const std::string& written, ErrorSink& errors) {
  // One UTF-8 buffer for pugixml, the line index and the attribute walk, so
  // an offset means the same in all three (a UTF-16 file included).
  const std::string xml = utf8_text(written);
  LineIndex lines(xml);
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    errors.add(lines.line_of(parsed.offset), "",
               "malformed XML (column " + std::to_string(lines.column_of(parsed.offset)) +
                   "): " + parsed.description());
    return std::nullopt;
  }

  pugi::xml_node configuration = doc.child("configuration");
  if (!configuration) {
    errors.add(0, "", "no <configuration> root element");
    return std::nullopt;
  }
  std::vector<pugi::xml_node> web_servers = find_web_servers(configuration);
  std::vector<pugi::xml_node> sections = find_all(web_servers, {"aspNetCore"});
  if (sections.empty()) {
    errors.add(lines.line_of(configuration.offset_debug()), "",
               "no <aspNetCore> element under configuration/system.webServer "
               "(or under <location path=\".\">/system.webServer)");
    return std::nullopt;
  }
  if (report_duplicates(sections, "<aspNetCore> section", lines, errors)) return std::nullopt;

  const pugi::xml_node& element = sections.front();
  RawSection section;
  section.line = lines.line_of(element.offset_debug());
  section.attributes = read_attributes(xml, element, lines);
  section.environment_variables =
      read_collection(element, "environmentVariables", "environmentVariable", lines);
  section.handler_settings = read_collection(element, "handlerSettings", "handlerSetting", lines);

  std::vector<pugi::xml_node> limits =
      find_all(web_servers, {"security", "requestFiltering", "requestLimits"});
  if (!limits.empty() && !report_duplicates(limits, "<requestLimits> element", lines, errors)) {
    section.request_limits = RawRequestLimits{lines.line_of(limits.front().offset_debug()),
                                              read_attributes(xml, limits.front(), lines)};
  }
  return section;
}

}  // namespace ancm::config::detail
