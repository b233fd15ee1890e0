// The front end's request-head rules (server/src/request_head.h), one RFC
// 9112 rule per case: what is accepted, and the status for what is not.
#include "request_head.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "request_head_rules.h"

namespace ancm::server {
namespace {

HeadLimits limits() { return {4096, 1024, UINT64_MAX}; }

// 0 when accepted, else the rejection's status.
int verdict(const std::string& head) {
  auto parsed = parse_request_head(head, limits());
  if (!parsed.ok()) return parsed.error().status;
  return 0;
}

RequestHead accepted(const std::string& head) {
  auto parsed = parse_request_head(head, limits());
  EXPECT_TRUE(parsed.ok()) << head;
  return parsed.ok() ? parsed.value() : RequestHead{};
}

std::string get(const std::string& fields, const std::string& line = "GET / HTTP/1.1") {
  return line + "\r\n" + fields + "\r\n";
}

struct Case {
  const char* what;
  std::string head;
  int status;  // 0 = accepted
};

class RequestHeadRule : public ::testing::TestWithParam<Case> {};

TEST_P(RequestHeadRule, IsApplied) {
  EXPECT_EQ(verdict(GetParam().head), GetParam().status) << GetParam().what;
}

INSTANTIATE_TEST_SUITE_P(
    RequestLine, RequestHeadRule,
    ::testing::Values(
        Case{"plain GET", get("Host: a\r\n"), 0},
        Case{"HTTP/1.0 without Host", get("", "GET / HTTP/1.0"), 0},
        Case{"HTTP/1.2", get("Host: a\r\n", "GET / HTTP/1.2"), 505},
        Case{"HTTP/2.0", get("Host: a\r\n", "GET / HTTP/2.0"), 505},
        Case{"HTTP/0.9 style", "GET /\r\n\r\n", 400},
        Case{"lower-case version", get("Host: a\r\n", "GET / http/1.1"), 400},
        Case{"two spaces", get("Host: a\r\n", "GET  / HTTP/1.1"), 400},
        Case{"space in the target", get("Host: a\r\n", "GET /a b HTTP/1.1"), 400},
        Case{"tab separator", get("Host: a\r\n", "GET\t/ HTTP/1.1"), 400},
        Case{"control byte in target", get("Host: a\r\n", std::string("GET /\x01 HTTP/1.1")), 400},
        Case{"NUL in target", get("Host: a\r\n", std::string("GET /a\0b HTTP/1.1", 17)), 400},
        Case{"method not a token", get("Host: a\r\n", "G(T / HTTP/1.1"), 400},
        Case{"target too long", get("Host: a\r\n", "GET /" + std::string(1100, 'a') + " HTTP/1.1"),
             414},
        Case{"no leading slash", get("Host: a\r\n", "GET x HTTP/1.1"), 400},
        Case{"query only", get("Host: a\r\n", "GET ?a=1 HTTP/1.1"), 400},
        Case{"fragment", get("Host: a\r\n", "GET /a#b HTTP/1.1"), 400},
        Case{"CONNECT", get("Host: a:443\r\n", "CONNECT a:443 HTTP/1.1"), 405},
        Case{"authority-form with GET", get("Host: a:443\r\n", "GET a:443 HTTP/1.1"), 400},
        Case{"OPTIONS *", get("Host: a\r\n", "OPTIONS * HTTP/1.1"), 0},
        Case{"GET *", get("Host: a\r\n", "GET * HTTP/1.1"), 400},
        Case{"absolute-form matching Host", get("Host: a\r\n", "GET http://a/x HTTP/1.1"), 0},
        Case{"absolute-form, default port", get("Host: a\r\n", "GET http://A:80/x HTTP/1.1"), 0},
        Case{"absolute-form, other Host", get("Host: b\r\n", "GET http://a/x HTTP/1.1"), 400},
        Case{"absolute-form, other port", get("Host: a:81\r\n", "GET http://a/x HTTP/1.1"), 400},
        Case{"absolute-form with userinfo", get("Host: a\r\n", "GET http://u@a/x HTTP/1.1"), 400},
        Case{"absolute-form, unknown scheme", get("Host: a\r\n", "GET ftp://a/x HTTP/1.1"), 400},
        Case{"absolute-form, no host", get("Host: \r\n", "GET http:///x HTTP/1.1"), 400}));

INSTANTIATE_TEST_SUITE_P(
    Fields, RequestHeadRule,
    ::testing::Values(Case{"obs-fold", get("Host: a\r\nX-A: b\r\n c\r\n"), 400},
                      Case{"obs-fold with a tab", get("Host: a\r\nX-A: b\r\n\tc\r\n"), 400},
                      Case{"Transfer-Encoding on a continuation line",
                           get("Host: a\r\nX-A: b\r\n Transfer-Encoding: chunked\r\n"), 400},
                      Case{"space before the colon", get("Host: a\r\nX-A : b\r\n"), 400},
                      Case{"no colon", get("Host: a\r\nX-A b\r\n"), 400},
                      Case{"empty name", get("Host: a\r\n: b\r\n"), 400},
                      Case{"control byte in a value", get(std::string("Host: a\r\nX-A: b\x01\r\n")),
                           400},
                      Case{"NUL in a value", get(std::string("Host: a\r\nX-A: b\0c\r\n", 18)), 400},
                      Case{"DEL in a value", get("Host: a\r\nX-A: b\x7f\r\n"), 400},
                      Case{"tab inside a value", get("Host: a\r\nX-A: b\tc\r\n"), 0},
                      Case{"obs-text in a value", get("Host: a\r\nX-A: \xc3\xa9\r\n"), 0},
                      Case{"no Host in HTTP/1.1", get("X-A: b\r\n"), 400},
                      Case{"two Host fields", get("Host: a\r\nHost: a\r\n"), 400},
                      Case{"Host with a path", get("Host: a/b\r\n"), 400},
                      Case{"Host with userinfo", get("Host: u@a\r\n"), 400},
                      Case{"Host with a space", get("Host: a b\r\n"), 400},
                      Case{"Host with a bad port", get("Host: a:8x\r\n"), 400},
                      Case{"Host IPv6 literal", get("Host: [::1]:8080\r\n"), 0},
                      Case{"empty Host", get("Host:\r\n"), 0}));

INSTANTIATE_TEST_SUITE_P(
    Framing, RequestHeadRule,
    ::testing::Values(
        Case{"Content-Length", get("Host: a\r\nContent-Length: 5\r\n", "POST / HTTP/1.1"), 0},
        Case{"Content-Length list", get("Host: a\r\nContent-Length: 5, 5\r\n"), 400},
        Case{"two equal Content-Lengths",
             get("Host: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n"), 400},
        Case{"two different Content-Lengths",
             get("Host: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n"), 400},
        Case{"signed Content-Length", get("Host: a\r\nContent-Length: +5\r\n"), 400},
        Case{"negative Content-Length", get("Host: a\r\nContent-Length: -1\r\n"), 400},
        Case{"hex Content-Length", get("Host: a\r\nContent-Length: 0x5\r\n"), 400},
        Case{"empty Content-Length", get("Host: a\r\nContent-Length:\r\n"), 400},
        Case{"Content-Length overflow",
             get("Host: a\r\nContent-Length: 99999999999999999999999\r\n"), 400},
        Case{"chunked", get("Host: a\r\nTransfer-Encoding: chunked\r\n"), 0},
        Case{"chunked in capitals", get("Host: a\r\nTransfer-Encoding: CHUNKED\r\n"), 0},
        Case{"gzip, chunked", get("Host: a\r\nTransfer-Encoding: gzip, chunked\r\n"), 0},
        Case{"gzip then chunked on two lines",
             get("Host: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"), 0},
        Case{"identity", get("Host: a\r\nTransfer-Encoding: identity\r\n"), 400},
        Case{"gzip only", get("Host: a\r\nTransfer-Encoding: gzip\r\n"), 400},
        Case{"chunked, identity", get("Host: a\r\nTransfer-Encoding: chunked, identity\r\n"), 400},
        Case{"chunked, chunked", get("Host: a\r\nTransfer-Encoding: chunked, chunked\r\n"), 400},
        Case{"chunked twice on two lines",
             get("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
        Case{"chunked then gzip on two lines",
             get("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n"), 400},
        Case{"unknown coding before chunked", get("Host: a\r\nTransfer-Encoding: foo, chunked\r\n"),
             501},
        Case{"unknown coding alone", get("Host: a\r\nTransfer-Encoding: foo\r\n"), 400},
        Case{"xchunked", get("Host: a\r\nTransfer-Encoding: xchunked\r\n"), 400},
        Case{"chunked with a parameter", get("Host: a\r\nTransfer-Encoding: chunked;a=b\r\n"), 400},
        Case{"quoted chunked", get("Host: a\r\nTransfer-Encoding: \"chunked\"\r\n"), 400},
        Case{"empty Transfer-Encoding", get("Host: a\r\nTransfer-Encoding:\r\n"), 400},
        Case{"only commas", get("Host: a\r\nTransfer-Encoding: ,,\r\n"), 400},
        Case{"chunked in HTTP/1.0",
             get("Host: a\r\nTransfer-Encoding: chunked\r\n", "POST / HTTP/1.0"), 400},
        Case{"Content-Length and Transfer-Encoding",
             get("Host: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400},
        Case{"Transfer-Encoding and Content-Length",
             get("Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"), 400}));

// An upgrade request with a body is served as a plain request, as Kestrel
// and nginx serve it: the server never upgrades it (Connection::upgrade).
INSTANTIATE_TEST_SUITE_P(
    Upgrade, RequestHeadRule,
    ::testing::Values(
        Case{"WebSocket upgrade", get("Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"),
             0},
        Case{"upgrade with a body",
             get("Host: a\r\nConnection: Upgrade\r\nUpgrade: foo\r\nContent-Length: 28\r\n"), 0},
        Case{"h2c with a body",
             get("Host: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                 "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 4\r\n",
                 "POST / HTTP/1.1"),
             0}));

TEST(RequestHead, ReportsTheFramingAndTheFields) {
  // The head's views point into the text: it must outlive them.
  const auto text =
      get("Host: a\r\nX-A:  spaced\t \r\nContent-Length: 12\r\n", "POST /p?q HTTP/1.1");
  auto head = accepted(text);
  EXPECT_EQ(head.method, "POST");
  EXPECT_EQ(head.target, "/p?q");
  EXPECT_EQ(head.version, 11);
  EXPECT_EQ(head.body, BodyFraming::ContentLength);
  EXPECT_EQ(head.content_length, 12u);
  ASSERT_EQ(head.fields.size(), 3u);
  EXPECT_EQ(head.fields[1].name, "X-A");
  EXPECT_EQ(head.fields[1].value, "spaced");
  EXPECT_EQ(accepted(get("Host: a\r\nTransfer-Encoding: gzip, chunked\r\n")).body,
            BodyFraming::Chunked);
  EXPECT_EQ(accepted(get("Host: a\r\n", "GET http://a/x HTTP/1.1")).form, TargetForm::Absolute);
  EXPECT_EQ(accepted(get("Host: a\r\n", "OPTIONS * HTTP/1.1")).form, TargetForm::Asterisk);
}

// ---------------------------------------------------------------- scanning

HeadScan scan(const std::string& received, std::size_t resume = 0) {
  return scan_request_head(received, resume, limits());
}

TEST(RequestHeadScan, FindsTheEndOfTheHead) {
  auto result = scan("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody");
  ASSERT_EQ(result.state, HeadScan::State::Complete);
  EXPECT_EQ(result.blank_lines, 0u);
  EXPECT_EQ(result.end, 27u);
}

TEST(RequestHeadScan, SkipsEmptyLinesBeforeTheRequestLine) {
  auto result = scan("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(result.state, HeadScan::State::Complete);
  EXPECT_EQ(result.blank_lines, 4u);
  EXPECT_EQ(result.end, 31u);
}

TEST(RequestHeadScan, WaitsForMoreAtEveryCutAndFindsTheSameEnd) {
  std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX-B: c\r\n\r\n";
  for (std::size_t cut = 0; cut < head.size(); ++cut) {
    auto partial = scan(head.substr(0, cut));
    ASSERT_EQ(partial.state, HeadScan::State::Incomplete) << cut;
    auto rest = scan(head, partial.searched);
    ASSERT_EQ(rest.state, HeadScan::State::Complete) << cut;
    EXPECT_EQ(rest.end, head.size()) << cut;
  }
}

TEST(RequestHeadScan, RefusesALoneLineFeedOrCarriageReturn) {
  EXPECT_EQ(scan("GET / HTTP/1.1\nHost: a\n\n").rejection.status, 400);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\n\r\n").state, HeadScan::State::Rejected);
  EXPECT_EQ(scan("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n").state, HeadScan::State::Rejected);
  EXPECT_EQ(scan("\nGET / HTTP/1.1\r\n\r\n").state, HeadScan::State::Rejected);
}

TEST(RequestHeadScan, TellsALongRequestLineFromALargeHead) {
  auto long_line = scan("GET /" + std::string(2000, 'a'));
  ASSERT_EQ(long_line.state, HeadScan::State::Rejected);
  EXPECT_EQ(long_line.rejection.status, 414);
  std::string many_fields = "GET / HTTP/1.1\r\n";
  while (many_fields.size() <= 4096) many_fields += "X-Filler: " + std::string(100, 'f') + "\r\n";
  auto large = scan(many_fields);
  ASSERT_EQ(large.state, HeadScan::State::Rejected);
  EXPECT_EQ(large.rejection.status, 431);
  auto complete_but_large = scan(many_fields + "\r\n");
  EXPECT_EQ(complete_but_large.rejection.status, 431);
}

// ---- the same rules for an HTTP/2 stream's head (version 20)

struct Http2Head {
  std::string method = "GET";
  std::string path = "/";
  std::string authority = "example.com";
  std::string protocol;
  std::vector<std::pair<std::string, std::string>> fields;
};

// 0 when accepted, else the rejection's status, for the default head as `edit` leaves it.
template <class Edit>
int http2_verdict(Edit&& edit) {
  Http2Head h2;
  edit(h2);
  RequestHead head;
  head.method = h2.method;
  head.target = h2.path;
  head.version = 20;
  head.scheme = "https";
  head.authority = h2.authority;
  head.protocol = h2.protocol;
  for (const auto& [name, value] : h2.fields) head.fields.push_back({name, value});
  auto ruled = apply_request_head_rules(head, {4096, 1024, 1000});
  return ruled.ok() ? 0 : ruled.error().status;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

int with_path(const std::string& path) {
  return http2_verdict([&](Http2Head& h) { h.path = path; });
}

int with_fields(const Fields& fields, const std::string& authority = "example.com") {
  return http2_verdict([&](Http2Head& h) {
    h.fields = fields;
    h.authority = authority;
  });
}

TEST(Http2HeadRules, APathOverMaxUriBytesIs414) {
  EXPECT_EQ(with_path("/" + std::string(1023, 'p')), 0);
  EXPECT_EQ(with_path("/" + std::string(1024, 'p')), 414);
  EXPECT_EQ(with_path("/a#fragment"), 400);
  EXPECT_EQ(with_path("/a b"), 400);
}

// RFC 9113 §8.3.1, with RFC 3986 §6.2's normalization (case, default port).
TEST(Http2HeadRules, AHostMustNameTheAuthority) {
  EXPECT_EQ(with_fields({{"host", "example.com"}}), 0);
  EXPECT_EQ(with_fields({{"host", "EXAMPLE.com:443"}}), 0);
  EXPECT_EQ(with_fields({{"host", "other.example"}}), 400);
  EXPECT_EQ(with_fields({{"host", "example.com:8443"}}), 400);
  EXPECT_EQ(with_fields({{"host", "example.com"}, {"host", "example.com"}}), 400);
  EXPECT_EQ(with_fields({}, "user@example.com"), 400);
  // Without :authority, a Host alone names it (and none at all is no HTTP/1.1 rule).
  EXPECT_EQ(with_fields({{"host", "example.com"}}, ""), 0);
  EXPECT_EQ(with_fields({}, ""), 0);
}

TEST(Http2HeadRules, ConnectIsRefusedUnlessExtended) {
  EXPECT_EQ(http2_verdict([](Http2Head& h) {
              h.method = "CONNECT";
              h.path = "";
            }),
            405);
  // RFC 8441: with :protocol it is a request for our own resource.
  EXPECT_EQ(http2_verdict([](Http2Head& h) {
              h.method = "CONNECT";
              h.path = "/chat";
              h.protocol = "websocket";
            }),
            0);
}

TEST(Http2HeadRules, ADeclaredBodyOverTheLimitIs413) {
  EXPECT_EQ(with_fields({{"content-length", "1000"}}), 0);
  EXPECT_EQ(with_fields({{"content-length", "1001"}}), 413);
}

// The limit is the front end's for HTTP/1.1 too: answered at the head.
TEST(RequestHeadRules, ADeclaredBodyOverTheLimitIs413ForHttp11) {
  HeadLimits limits{4096, 1024, 10};
  auto head = get("Host: a\r\nContent-Length: 11\r\n", "POST / HTTP/1.1");
  auto parsed = parse_request_head(head, limits);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().status, 413);
  EXPECT_TRUE(
      parse_request_head(get("Host: a\r\nContent-Length: 10\r\n", "POST / HTTP/1.1"), limits).ok());
}

// Kestrel's MaxRequestHeaderCount: a head of many small fields fits the
// byte limit and is still refused, in both protocols.
TEST(RequestHeadRules, MoreFieldsThanTheCountAllowsIs431) {
  auto fields = [](int n) {
    std::string lines = "Host: a\r\n";
    for (int i = 1; i < n; ++i) lines += "X-" + std::to_string(i) + ": v\r\n";
    return lines;
  };
  HeadLimits limits{64 * 1024, 1024, UINT64_MAX, 100};
  EXPECT_TRUE(parse_request_head(get(fields(100)), limits).ok());
  auto parsed = parse_request_head(get(fields(101)), limits);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().status, 431);

  Fields many(101, {"x-a", "v"});
  EXPECT_EQ(with_fields(Fields(100, {"x-a", "v"})), 0);
  EXPECT_EQ(with_fields(many), 431);
}

}  // namespace
}  // namespace ancm::server
