#include "request_head_rules.h"

#include <algorithm>
#include <charconv>

#include "ancm/common/ascii.h"
#include "ancm/common/http_syntax.h"

namespace ancm::server {
namespace {

using common::all_digits;
using common::for_each_list_element;
using common::iequals;
using common::is_token;

// Transfer codings a recipient knows besides chunked (the IANA registry);
// an app may decode them itself, so they pass when chunked comes last.
bool is_known_coding(std::string_view coding) {
  for (std::string_view known : {"gzip", "x-gzip", "deflate", "compress", "x-compress"}) {
    if (iequals(coding, known)) return true;
  }
  return false;
}

// How many fields are named `name`, and the first one's value: what the
// rules need of Host and Content-Length, without collecting (and allocating)
// the values of every request.
struct FieldValues {
  std::size_t count = 0;
  std::string_view first;
};

FieldValues values_of(const RequestHead& head, std::string_view name) {
  FieldValues values;
  for (const auto& field : head.fields) {
    if (!iequals(field.name, name)) continue;
    if (values.count++ == 0) values.first = field.value;
  }
  return values;
}

// Transfer-Encoding (§6.1, §6.3): chunked exactly once, and last, over every
// Transfer-Encoding field.
common::Result<void, HeadRejection> read_transfer_encoding(RequestHead& head) {
  if (head.version == 10)
    return common::fail(HeadRejection{400, "Transfer-Encoding in an HTTP/1.0 request"});
  std::vector<std::string_view> codings;
  for (const auto& field : head.fields) {
    if (!iequals(field.name, "Transfer-Encoding")) continue;
    for_each_list_element(field.value, [&](std::string_view coding) {
      codings.push_back(coding);
      return true;
    });
  }
  if (codings.empty()) return common::fail(HeadRejection{400, "empty Transfer-Encoding"});
  for (std::size_t i = 0; i < codings.size(); ++i) {
    bool last = i + 1 == codings.size();
    if (iequals(codings[i], "chunked")) {
      if (!last)
        return common::fail(
            HeadRejection{400, "chunked is not the final transfer coding, or twice"});
      continue;
    }
    if (last) return common::fail(HeadRejection{400, "the final transfer coding is not chunked"});
    if (!is_token(codings[i])) return common::fail(HeadRejection{400, "malformed transfer coding"});
    if (!is_known_coding(codings[i]))
      return common::fail(HeadRejection{501, "unknown transfer coding"});
  }
  head.body = BodyFraming::Chunked;
  return {};
}

// Content-Length (§6.2): one field, one decimal number, no list.
common::Result<void, HeadRejection> read_content_length(const FieldValues& values,
                                                        RequestHead& head) {
  if (values.count > 1) return common::fail(HeadRejection{400, "more than one Content-Length"});
  auto text = values.first;
  if (text.empty() || !all_digits(text))
    return common::fail(HeadRejection{400, "malformed Content-Length"});
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), head.content_length);
  if (ec != std::errc{}) return common::fail(HeadRejection{400, "Content-Length out of range"});
  head.body = BodyFraming::ContentLength;
  return {};
}

common::Result<void, HeadRejection> read_body_framing(RequestHead& head) {
  auto transfer_encoding = values_of(head, "Transfer-Encoding");
  auto content_length = values_of(head, "Content-Length");
  if (transfer_encoding.count > 0 && content_length.count > 0) {
    return common::fail(HeadRejection{400, "both Transfer-Encoding and Content-Length"});
  }
  if (transfer_encoding.count > 0) return read_transfer_encoding(head);
  if (content_length.count > 0) return read_content_length(content_length, head);
  return {};
}

bool is_host_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~%!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos;
}

// uri-host [ ":" port ] (RFC 3986 §3.2.2): a name, an IPv4 address or an IP literal.
bool is_valid_authority(std::string_view authority) {
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    for (char c : authority.substr(1, close - 1)) {
      bool literal = c == ':' || c == '.' || is_host_char(static_cast<unsigned char>(c));
      if (!literal) return false;
    }
    auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    auto colon = authority.find(':');
    auto host = authority.substr(0, colon);
    if (!std::all_of(host.begin(), host.end(),
                     [](char c) { return is_host_char(static_cast<unsigned char>(c)); })) {
      return false;
    }
    port = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon + 1);
  }
  return all_digits(port);
}

// host and port, with the scheme's default port written out, for comparing.
std::pair<std::string_view, std::string_view> split_authority(std::string_view authority,
                                                              std::string_view default_port) {
  auto close = authority.rfind(']');
  auto colon = authority.rfind(':');
  if (colon == std::string_view::npos || (close != std::string_view::npos && colon < close)) {
    return {authority, default_port};
  }
  auto port = authority.substr(colon + 1);
  return {authority.substr(0, colon), port.empty() ? default_port : port};
}

// Whether two authorities name the same host and port (RFC 3986 §6.2: the
// host without case, an omitted port the scheme's default).
bool same_authority(std::string_view a, std::string_view b, std::string_view default_port) {
  auto [a_host, a_port] = split_authority(a, default_port);
  auto [b_host, b_port] = split_authority(b, default_port);
  return iequals(a_host, b_host) && a_port == b_port;
}

// absolute-form (§3.2.2): "http(s)://authority[/path][?query]", and Host
// must name the same authority (Kestrel refuses a mismatch, as we do).
common::Result<void, HeadRejection> check_absolute_form(const RequestHead& head,
                                                        std::string_view host) {
  auto scheme_end = head.target.find("://");
  auto scheme = head.target.substr(0, scheme_end);
  bool https = iequals(scheme, "https");
  if (!https && !iequals(scheme, "http"))
    return common::fail(HeadRejection{400, "unsupported target scheme"});
  auto rest = head.target.substr(scheme_end + 3);
  auto authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty())
    return common::fail(HeadRejection{400, "absolute-form target without a host"});
  if (authority.find('@') != std::string_view::npos) {
    return common::fail(HeadRejection{400, "userinfo in the request-target"});
  }
  if (!is_valid_authority(authority))
    return common::fail(HeadRejection{400, "malformed target authority"});
  if (!same_authority(authority, host, https ? "443" : "80")) {
    return common::fail(HeadRejection{400, "Host does not match the request-target's authority"});
  }
  return {};
}

bool looks_absolute(std::string_view target) {
  auto scheme_end = target.find("://");
  return scheme_end != std::string_view::npos && scheme_end > 0 &&
         is_token(target.substr(0, scheme_end));
}

// Host (§3.2). An HTTP/2 request names its authority in :authority; a Host
// field beside it must name the same one (RFC 9113 §8.3.1), compared as
// RFC 3986 §6.2 normalizes: host without case, the scheme's default port.
common::Result<std::string_view, HeadRejection> check_host(const RequestHead& head) {
  auto hosts = values_of(head, "Host");
  if (hosts.count > 1) return common::fail(HeadRejection{400, "more than one Host"});
  if (hosts.count == 0 && head.version == 11)
    return common::fail(HeadRejection{400, "HTTP/1.1 request without Host"});
  std::string_view host = hosts.first;
  if (!is_valid_authority(host)) return common::fail(HeadRejection{400, "malformed Host"});
  if (head.version != 20 || head.authority.empty()) return host;
  if (!is_valid_authority(head.authority))
    return common::fail(HeadRejection{400, "malformed :authority"});
  auto default_port = iequals(head.scheme, "https") ? "443" : "80";
  if (hosts.count > 0 && !same_authority(head.authority, host, default_port))
    return common::fail(HeadRejection{400, "Host does not match :authority"});
  return head.authority;
}

// CONNECT asks for a tunnel to another host (RFC 9110 §9.3.6): we are not a
// forward proxy. Extended CONNECT (RFC 8441: HTTP/2 with :protocol, e.g.
// WebSockets) is a request for one of our own resources, with a :path: this
// is the one place it is let through, on to the target rules like any request.
bool is_tunnel_request(const RequestHead& head) {
  bool extended = head.version == 20 && !head.protocol.empty();
  return iequals(head.method, "CONNECT") && !extended;
}

// The method and the request-target's form (§3.2.1–3.2.4).
common::Result<void, HeadRejection> check_target(RequestHead& head, std::string_view host,
                                                 const HeadLimits& limits) {
  if (is_tunnel_request(head)) return common::fail(HeadRejection{405, "CONNECT is not supported"});
  // An HTTP/1 request line was checked as it was parsed; HTTP/2's :path is here.
  if (head.version == 20) {
    if (auto checked = check_request_target(head.target, limits); !checked.ok()) return checked;
  }
  if (head.target.find('#') != std::string_view::npos) {
    return common::fail(HeadRejection{400, "fragment in the request-target"});
  }
  if (head.target.front() == '/') {
    head.form = TargetForm::Origin;
    return {};
  }
  if (head.target == "*") {
    if (head.method != "OPTIONS")
      return common::fail(HeadRejection{400, "asterisk-form without OPTIONS"});
    head.form = TargetForm::Asterisk;
    return {};
  }
  if (looks_absolute(head.target)) {
    head.form = TargetForm::Absolute;
    return check_absolute_form(head, host);
  }
  return common::fail(HeadRejection{400, "request-target is not origin-form, absolute-form or *"});
}

// A declared body past the limit is refused before anyone reads it.
common::Result<void, HeadRejection> check_declared_body(const RequestHead& head,
                                                        const HeadLimits& limits) {
  if (head.body == BodyFraming::ContentLength && head.content_length > limits.max_body_bytes)
    return common::fail(HeadRejection{413, "Content-Length over the body limit"});
  return {};
}

bool is_target_char(unsigned char c) { return c > 0x20 && c != 0x7f; }

}  // namespace

common::Result<void, HeadRejection> check_request_target(std::string_view target,
                                                         const HeadLimits& limits) {
  if (target.size() > limits.max_uri_bytes)
    return common::fail(HeadRejection{414, "request-target too long"});
  if (target.empty()) return common::fail(HeadRejection{400, "empty request-target"});
  for (char c : target) {
    if (!is_target_char(static_cast<unsigned char>(c))) {
      return common::fail(
          HeadRejection{400, "whitespace or control character in the request-target"});
    }
  }
  return {};
}

common::Result<void, HeadRejection> apply_request_head_rules(RequestHead& head,
                                                             const HeadLimits& limits) {
  if (head.fields.size() > limits.max_header_count) {
    return common::fail(HeadRejection{431, "too many header fields"});
  }
  auto host = check_host(head);
  if (!host.ok()) return common::fail(host.error());
  if (auto checked = check_target(head, host.value(), limits); !checked.ok()) return checked;
  if (auto framed = read_body_framing(head); !framed.ok()) return framed;
  return check_declared_body(head, limits);
}

}  // namespace ancm::server
