#include "response_head.h"

#include <boost/beast/http/status.hpp>
#include <charconv>
#include <ctime>
#include <ostream>  // boost/core/detail/string_view.hpp needs it first

#include "ancm/common/ascii.h"
#include "ancm/common/http_syntax.h"

namespace ancm::server {
namespace {

using common::for_each_list_element;
using common::iequals;

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

bool contains_token(std::string_view list, std::string_view token) {
  bool found = false;
  for_each_list_element(list, [&](std::string_view element) {
    found = iequals(element, token);
    return !found;
  });
  return found;
}

}  // namespace

std::string_view standard_reason(int status) {
  namespace http = boost::beast::http;
  // A status without a registered phrase goes out with an empty one (as
  // Kestrel and IIS send it), never Beast's "<unknown-status>".
  if (http::int_to_status(static_cast<unsigned>(status)) == http::status::unknown) return {};
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return {reason.data(), reason.size()};
}

void ResponseHead::clear() {
  status = 200;
  reason.clear();
  fields.clear();
  content_length.reset();
  has_date = has_server = wants_close = false;
}

bool ResponseHead::add(std::string_view name, std::string_view value) {
  if (name.empty() || has_line_break(name) || has_line_break(value) ||
      name.find(':') != std::string_view::npos) {
    return false;
  }
  if (iequals(name, "Content-Length")) {
    uint64_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec != std::errc{} || end != value.data() + value.size()) return false;
    content_length = length;
    return true;
  }
  // The server owns the framing and the connection's fate.
  if (iequals(name, "Transfer-Encoding") || iequals(name, "Keep-Alive")) return true;
  if (iequals(name, "Connection")) {
    wants_close = wants_close || contains_token(value, "close");
    return true;
  }
  has_date = has_date || iequals(name, "Date");
  has_server = has_server || iequals(name, "Server");
  fields.append(name).append(": ").append(value).append("\r\n");
  return true;
}

bool status_has_no_body(int status) {
  return (status >= 100 && status < 200) || status == 204 || status == 304;
}

void serialize_head(const ResponseHead& head, Framing framing, uint64_t content_length,
                    bool keep_alive, std::string& out) {
  char number[24];
  out += "HTTP/1.1 ";
  auto [end, ec] = std::to_chars(number, number + sizeof number, head.status);
  out.append(number, end);
  out += ' ';
  if (head.reason.empty()) {
    out += standard_reason(head.status);
  } else {
    out += head.reason;
  }
  out += "\r\n";
  if (!head.has_date) {
    out += "Date: ";
    out += http_date_now();
    out += "\r\n";
  }
  if (!head.has_server) out += "Server: ancm-host\r\n";
  out += head.fields;
  switch (framing) {
    case Framing::ContentLength: {
      out += "Content-Length: ";
      auto [cl_end, cl_ec] = std::to_chars(number, number + sizeof number, content_length);
      out.append(number, cl_end);
      out += "\r\n";
      break;
    }
    case Framing::Chunked:
      out += "Transfer-Encoding: chunked\r\n";
      break;
    case Framing::None:
    case Framing::UntilClose:
      break;
  }
  if (head.status == 101) {
    out += "Connection: Upgrade\r\n";
  } else if (!keep_alive) {
    out += "Connection: close\r\n";
  }
  out += "\r\n";
}

std::string_view http_date_now() {
  thread_local std::time_t cached_second = 0;
  thread_local char text[32];
  thread_local std::size_t length = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    cached_second = now;
  }
  return {text, length};
}

}  // namespace ancm::server
