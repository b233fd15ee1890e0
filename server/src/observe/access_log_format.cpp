#include "observe/access_log_format.h"

#include <cstdio>
#include <ctime>

namespace ancm::server {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

void append_hex_escape(unsigned char c, std::string& out) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

// nginx's rule: what a line could be forged with, or misread by a terminal.
bool needs_escape(unsigned char c) { return c < 0x20 || c >= 0x7f || c == '"' || c == '\\'; }

// A w3c field: "-" for empty, spaces as '+', no space or control byte left.
void append_w3c_field(std::string_view value, std::string& out) {
  if (value.empty()) {
    out += '-';
    return;
  }
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ') {
      out += '+';
    } else if (needs_escape(c) || c == '+') {
      append_hex_escape(c, out);
    } else {
      out += ch;
    }
  }
}

// A value inside nginx's double quotes (or a bare one such as the address).
void append_escaped(std::string_view value, std::string& out) {
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (needs_escape(c)) {
      append_hex_escape(c, out);
    } else {
      out += ch;
    }
  }
}

void append_quoted_or_dash(std::string_view value, std::string& out) {
  out += '"';
  if (value.empty()) {
    out += '-';
  } else {
    append_escaped(value, out);
  }
  out += '"';
}

std::tm utc_of(std::chrono::system_clock::time_point when) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  return utc;
}

void append_time(const char* format, const std::tm& time, std::string& out) {
  char text[64];
  out.append(text, std::strftime(text, sizeof text, format, &time));
}

const char* protocol_text(int http_version) {
  switch (http_version) {
    case 10:
      return "HTTP/1.0";
    case 20:
      return "HTTP/2.0";  // as nginx logs it
    default:
      return "HTTP/1.1";
  }
}

void append_w3c_line(const RequestRecord& r, std::string& out) {
  append_time("%Y-%m-%d %H:%M:%S ", utc_of(r.ended), out);
  append_w3c_field(r.local_address, out);
  out += ' ';
  append_w3c_field(r.method, out);
  out += ' ';
  append_w3c_field(r.path, out);
  out += ' ';
  append_w3c_field(r.query, out);
  out += ' ';
  out += std::to_string(r.local_port);
  out += " - ";  // cs-username: anonymous, as ANCM's IIS sites are by default
  append_w3c_field(r.remote_address, out);
  out += ' ';
  append_w3c_field(r.user_agent, out);
  out += ' ';
  append_w3c_field(r.referer, out);
  auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(r.duration).count();
  out += ' ' + std::to_string(r.status) + ' ' + std::to_string(r.substatus) + " 0 " +
         std::to_string(milliseconds) + '\n';
}

void append_combined_line(const RequestRecord& r, std::string& out) {
  if (r.remote_address.empty()) {
    out += '-';
  } else {
    append_escaped(r.remote_address, out);
  }
  out += " - - [";
  std::time_t seconds = std::chrono::system_clock::to_time_t(r.ended);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  append_time("%d/%b/%Y:%H:%M:%S %z", local, out);
  out += "] \"";
  if (r.method.empty()) {
    out += '-';  // a head refused before its request line could be read
  } else {
    append_escaped(r.method, out);
    out += ' ';
    append_escaped(r.path, out);
    if (!r.query.empty()) {
      out += '?';
      append_escaped(r.query, out);
    }
    out += ' ';
    out += protocol_text(r.http_version);
  }
  out += "\" " + std::to_string(r.status) + ' ' + std::to_string(r.bytes_sent) + ' ';
  append_quoted_or_dash(r.referer, out);
  out += ' ';
  append_quoted_or_dash(r.user_agent, out);
  out += '\n';
}

}  // namespace

std::optional<AccessLogFormat> parse_access_log_format(std::string_view text) {
  if (text == "w3c") return AccessLogFormat::w3c;
  if (text == "combined") return AccessLogFormat::combined;
  return std::nullopt;
}

const char* to_string(AccessLogFormat format) {
  return format == AccessLogFormat::combined ? "combined" : "w3c";
}

std::string access_log_header(AccessLogFormat format, std::chrono::system_clock::time_point now) {
  if (format != AccessLogFormat::w3c) return {};
  std::string header = "#Software: ancm-host\n#Version: 1.0\n#Date: ";
  append_time("%Y-%m-%d %H:%M:%S\n", utc_of(now), header);
  header +=
      "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
      "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n";
  return header;
}

void append_access_log_line(AccessLogFormat format, const RequestRecord& record, std::string& out) {
  if (format == AccessLogFormat::combined) return append_combined_line(record, out);
  append_w3c_line(record, out);
}

}  // namespace ancm::server
