#include "wire_summary.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <vector>

namespace ancm::test {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t");
  auto end = text.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

// Splits "a\r\nb\r\n" into lines without their CRLF.
std::vector<std::string> lines_of(const std::string& block) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < block.size()) {
    auto end = block.find("\r\n", at);
    if (end == std::string::npos) end = block.size();
    lines.push_back(block.substr(at, end - at));
    at = end + 2;
  }
  return lines;
}

// Decodes a chunked body; reports data, trailers and whether it ended.
void summarize_chunked(const std::string& rest, std::ostringstream& out) {
  std::string data;
  size_t at = 0;
  while (true) {
    auto line_end = rest.find("\r\n", at);
    if (line_end == std::string::npos) break;
    auto size = std::strtoul(rest.substr(at, line_end - at).c_str(), nullptr, 16);
    at = line_end + 2;
    if (size == 0) {
      auto end = rest.find("\r\n\r\n", line_end);
      bool complete = rest.compare(at, 2, "\r\n") == 0 || end != std::string::npos;
      std::vector<std::string> trailers;
      if (end != std::string::npos) {
        for (const auto& line : lines_of(rest.substr(at, end + 2 - at)))
          trailers.push_back(lower(line));
      }
      std::sort(trailers.begin(), trailers.end());
      out << "body: " << data << "\n";
      for (const auto& trailer : trailers) out << "trailer " << trailer << "\n";
      out << (complete ? "complete\n" : "cut\n");
      return;
    }
    if (at + size + 2 > rest.size()) {
      data += rest.substr(at, size);
      break;
    }
    data += rest.substr(at, size);
    at += size + 2;
  }
  out << "body: " << data << "\ncut\n";
}

}  // namespace

std::string summarize_wire(const std::string& raw, bool head_request,
                           const std::set<std::string>& ignored) {
  if (raw.empty()) return "nothing\n";
  auto head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos) return "incomplete head\n";
  auto lines = lines_of(raw.substr(0, head_end + 2));
  std::ostringstream out;
  // The status line without its reason phrase: "HTTP/1.1 200".
  out << lines[0].substr(0, lines[0].find(' ', lines[0].find(' ') + 1)) << "\n";
  std::vector<std::string> fields;
  long content_length = -1;
  bool chunked = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    auto name = lower(lines[i].substr(0, colon));
    auto value = trim(lines[i].substr(colon + 1));
    if (name == "content-length") content_length = std::stol(value);
    if (name == "transfer-encoding") chunked = lower(value).find("chunked") != std::string::npos;
    if (!ignored.contains(name)) fields.push_back(name + ": " + value);
  }
  // The order of response fields is the server's, not the app's.
  std::sort(fields.begin(), fields.end());
  for (const auto& field : fields) out << field << "\n";
  auto rest = raw.substr(head_end + 4);
  const int status = std::atoi(lines[0].c_str() + lines[0].find(' ') + 1);
  if (head_request || status == 204 || status == 304 || status / 100 == 1) {
    out << "bytes after the head: " << rest.size() << "\n";
  } else if (chunked) {
    summarize_chunked(rest, out);
  } else if (content_length >= 0) {
    out << "body: " << rest.substr(0, content_length) << "\n";
    out << (rest.size() >= static_cast<size_t>(content_length) ? "complete\n" : "cut\n");
    if (rest.size() > static_cast<size_t>(content_length)) out << "bytes past the length\n";
  } else {
    // Delimited by the close: whole as far as the client can tell.
    out << "body: " << rest << "\ncomplete\n";
  }
  return out.str();
}

}  // namespace ancm::test
