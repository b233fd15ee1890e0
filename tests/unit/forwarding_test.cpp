// The request head the out-of-process proxy sends to the child, and which
// response headers it hands back.
#include <gtest/gtest.h>

#include "forwarded_headers.h"

namespace ancm::outofproc {
namespace {

ClientRequest client(std::vector<std::pair<std::string_view, std::string_view>> headers,
                     bool has_body = false) {
  ClientRequest request;
  request.method = "POST";
  request.target = "/path?q=1";
  request.headers = std::move(headers);
  request.remote_address = "10.1.2.3";
  request.remote_port = 5555;
  request.local_address = "127.0.0.1";
  request.local_port = 8080;
  request.has_body = has_body;
  return request;
}

TEST(ForwardedRequest, KeepsHostAndEndToEndHeaders) {
  auto out = build_forwarded_request(client({{"Host", "example.org"}, {"Accept", "a/b"}}), "tok");
  EXPECT_EQ(out.head.rfind("POST /path?q=1 HTTP/1.1\r\n", 0), 0u) << out.head;
  EXPECT_NE(out.head.find("Host: example.org\r\n"), std::string::npos) << out.head;
  EXPECT_NE(out.head.find("Accept: a/b\r\n"), std::string::npos) << out.head;
  EXPECT_EQ(out.head.substr(out.head.size() - 4), "\r\n\r\n");
}

TEST(ForwardedRequest, ReplacesClientTokensWithItsOwn) {
  auto out = build_forwarded_request(
      client({{"Host", "h"}, {"MS-ASPNETCORE-TOKEN", "forged"}, {"ms-aspnetcore-event", "x"}}),
      "0123abcd");
  EXPECT_EQ(out.head.find("forged"), std::string::npos) << out.head;
  EXPECT_EQ(out.head.find("ms-aspnetcore-event"), std::string::npos) << out.head;
  EXPECT_NE(out.head.find("MS-ASPNETCORE-TOKEN: 0123abcd\r\n"), std::string::npos) << out.head;
}

// ANCM's encoding, which IISMiddleware reads back: base64 of the DER. The
// client's own field of that name never reaches the app, with or without a
// certificate of its own.
TEST(ForwardedRequest, HandsTheClientCertificateOnAndDropsAForgedOne) {
  const std::vector<std::uint8_t> der = {0x30, 0x82, 0x01, 0xff, 0xfe};
  auto with_certificate = client({{"Host", "h"}, {"MS-ASPNETCORE-CLIENTCERT", "forged"}});
  with_certificate.is_tls = true;
  with_certificate.client_certificate = der;
  auto out = build_forwarded_request(with_certificate, "t");
  EXPECT_EQ(out.head.find("forged"), std::string::npos) << out.head;
  EXPECT_NE(out.head.find("\r\nMS-ASPNETCORE-CLIENTCERT: MIIB//4=\r\n"), std::string::npos)
      << out.head;
  auto without =
      build_forwarded_request(client({{"Host", "h"}, {"ms-aspnetcore-clientcert", "forged"}}), "t");
  EXPECT_EQ(without.head.find("forged"), std::string::npos) << without.head;
  EXPECT_EQ(without.head.find("CLIENTCERT"), std::string::npos) << without.head;
}

TEST(ForwardedRequest, AppendsForwardedForAndProto) {
  auto fresh = build_forwarded_request(client({{"Host", "h"}}), "t");
  EXPECT_NE(fresh.head.find("X-Forwarded-For: 10.1.2.3:5555\r\n"), std::string::npos);
  EXPECT_NE(fresh.head.find("X-Forwarded-Proto: http\r\n"), std::string::npos);
  auto chained = build_forwarded_request(
      client({{"Host", "h"}, {"X-Forwarded-For", "1.1.1.1"}, {"X-Forwarded-Proto", "https"}}), "t");
  EXPECT_NE(chained.head.find("X-Forwarded-For: 1.1.1.1, 10.1.2.3:5555\r\n"), std::string::npos)
      << chained.head;
  EXPECT_NE(chained.head.find("X-Forwarded-Proto: https, http\r\n"), std::string::npos);
  auto request = client({{"Host", "h"}});
  request.remote_address = "::1";
  auto v6 = build_forwarded_request(request, "t");
  EXPECT_NE(v6.head.find("X-Forwarded-For: [::1]:5555\r\n"), std::string::npos) << v6.head;
}

ClientRequest over_unix_socket(ClientRequest request) {
  request.remote_address = "";
  request.remote_port = 0;
  request.local_address = "";
  request.local_port = 0;
  return request;
}

// A client over a Unix domain socket has no address (neither end has one):
// nothing is appended, so what a front proxy on the same machine wrote stays
// the last entry.
TEST(ForwardedRequest, AUnixSocketClientAddsNoForwardedFor) {
  auto bare = build_forwarded_request(over_unix_socket(client({{"Host", "h"}})), "t");
  EXPECT_EQ(bare.head.find("X-Forwarded-For"), std::string::npos) << bare.head;
  EXPECT_NE(bare.head.find("X-Forwarded-Proto: http\r\n"), std::string::npos) << bare.head;
  auto proxied = over_unix_socket(client({{"Host", "h"}, {"X-Forwarded-For", "203.0.113.9"}}));
  auto out = build_forwarded_request(proxied, "t");
  EXPECT_NE(out.head.find("X-Forwarded-For: 203.0.113.9\r\n"), std::string::npos) << out.head;
}

// A TCP client whose address could not be read (it reset the connection
// before the worker asked) is not a Unix one: its own field is never believed.
TEST(ForwardedRequest, ATcpClientWithoutAnAddressCannotForgeForwardedFor) {
  auto request = client({{"Host", "h"}, {"X-Forwarded-For", "10.0.0.1"}});
  request.remote_address = "";
  request.remote_port = 0;
  auto out = build_forwarded_request(request, "t");
  EXPECT_EQ(out.head.find("10.0.0.1"), std::string::npos) << out.head;
  EXPECT_EQ(out.head.find("X-Forwarded-For"), std::string::npos) << out.head;
}

TEST(ForwardedRequest, DropsHopByHopHeadersAndThoseConnectionNames) {
  auto out = build_forwarded_request(client({{"Host", "h"},
                                             {"Connection", "keep-alive, X-Private"},
                                             {"Keep-Alive", "timeout=5"},
                                             {"X-Private", "secret"},
                                             {"TE", "trailers"},
                                             {"Proxy-Authorization", "x"},
                                             {"Expect", "100-continue"},
                                             {"X-Public", "yes"}}),
                                     "t");
  for (const char* gone :
       {"Connection:", "Keep-Alive:", "X-Private:", "TE:", "Proxy-Authorization:", "Expect:"}) {
    EXPECT_EQ(out.head.find(gone), std::string::npos) << gone << "\n" << out.head;
  }
  EXPECT_NE(out.head.find("X-Public: yes\r\n"), std::string::npos);
}

TEST(ForwardedRequest, ReframesABodyWithoutLengthAsChunked) {
  auto chunked = build_forwarded_request(
      client({{"Host", "h"}, {"Transfer-Encoding", "chunked"}}, /*has_body=*/true), "t");
  EXPECT_TRUE(chunked.chunked_body);
  EXPECT_NE(chunked.head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  auto sized = build_forwarded_request(
      client({{"Host", "h"}, {"Content-Length", "10"}}, /*has_body=*/true), "t");
  EXPECT_FALSE(sized.chunked_body);
  EXPECT_NE(sized.head.find("Content-Length: 10\r\n"), std::string::npos);
  EXPECT_EQ(sized.head.find("Transfer-Encoding"), std::string::npos);
}

// The Trailer announcement goes with a body the proxy sends chunked (its
// trailer fields follow the last chunk), never with a sized one.
TEST(ForwardedRequest, AnnouncesTrailersOnlyWithAChunkedBody) {
  auto chunked = build_forwarded_request(
      client({{"Host", "h"}, {"Transfer-Encoding", "chunked"}, {"Trailer", "X-Sum"}},
             /*has_body=*/true),
      "t");
  EXPECT_NE(chunked.head.find("Trailer: X-Sum\r\n"), std::string::npos) << chunked.head;
  auto sized = build_forwarded_request(
      client({{"Host", "h"}, {"Content-Length", "3"}, {"Trailer", "X-Sum"}}, /*has_body=*/true),
      "t");
  EXPECT_EQ(sized.head.find("Trailer:"), std::string::npos) << sized.head;
}

TEST(ForwardedRequest, CarriesAWebSocketUpgrade) {
  auto out = build_forwarded_request(
      client({{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}}), "t");
  EXPECT_TRUE(out.is_upgrade);
  EXPECT_NE(out.head.find("Connection: Upgrade\r\n"), std::string::npos);
  EXPECT_NE(out.head.find("Upgrade: websocket\r\n"), std::string::npos);
  auto plain = build_forwarded_request(client({{"Host", "h"}, {"Upgrade", "websocket"}}), "t");
  EXPECT_FALSE(plain.is_upgrade);  // Upgrade without Connection: upgrade is ignored
  EXPECT_EQ(plain.head.find("Upgrade:"), std::string::npos);
}

// RFC 9110 §7.8: an Upgrade in an HTTP/1.0 request is ignored, so the
// child never answers it with a 101 the client cannot take.
TEST(ForwardedRequest, AnHttp10UpgradeGoesAsAPlainRequest) {
  auto request = client({{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  request.http_version = 10;
  auto out = build_forwarded_request(request, "t");
  EXPECT_FALSE(out.is_upgrade);
  EXPECT_EQ(out.head.find("Upgrade"), std::string::npos) << out.head;
  EXPECT_EQ(out.head.rfind("POST /path?q=1 HTTP/1.0\r\n", 0), 0u) << out.head;
}

// Kestrel serves an upgrade request with a body as a plain request; the
// child gets exactly that, so no byte of the body can start a tunnel.
// RFC 8441 to RFC 6455: an HTTP/2 WebSocket reaches an HTTP/1.1 child as the
// handshake it knows, with a fresh key (base64 of 16 bytes).
TEST(ForwardedRequest, TranslatesAWebSocketConnectIntoAnUpgrade) {
  auto request =
      client({{"host", "h"}, {"sec-websocket-version", "13"}, {"sec-websocket-key", "client-key"}});
  request.method = "CONNECT";
  request.target = "/ws";
  request.connect_protocol = "websocket";
  auto out = build_forwarded_request(request, "t");
  EXPECT_TRUE(out.is_upgrade);
  EXPECT_FALSE(out.has_body);
  EXPECT_EQ(out.head.rfind("GET /ws HTTP/1.1\r\n", 0), 0u) << out.head;
  EXPECT_NE(out.head.find("Connection: Upgrade\r\n"), std::string::npos) << out.head;
  EXPECT_NE(out.head.find("Upgrade: websocket\r\n"), std::string::npos) << out.head;
  EXPECT_NE(out.head.find("sec-websocket-version: 13\r\n"), std::string::npos) << out.head;
  auto key = out.head.find("Sec-WebSocket-Key: ");
  ASSERT_NE(key, std::string::npos) << out.head;
  auto value = out.head.substr(key + 19, out.head.find("\r\n", key) - key - 19);
  EXPECT_EQ(value.size(), 24u) << value;
  EXPECT_EQ(value.substr(22), "==");
  EXPECT_EQ(out.head.find("client-key"), std::string::npos) << "one key, ours: " << out.head;
  EXPECT_NE(build_forwarded_request(request, "t").head, out.head) << "each key is fresh";
  // A plain CONNECT (no :protocol) is not turned into anything.
  request.connect_protocol = {};
  EXPECT_EQ(build_forwarded_request(request, "t").head.rfind("CONNECT /ws ", 0), 0u);
}

TEST(ForwardedRequest, AnUpgradeWithABodyGoesAsAPlainRequest) {
  auto out = build_forwarded_request(client({{"Host", "h"},
                                             {"Connection", "Upgrade"},
                                             {"Upgrade", "websocket"},
                                             {"Content-Length", "28"}},
                                            /*has_body=*/true),
                                     "t");
  EXPECT_FALSE(out.is_upgrade);
  EXPECT_EQ(out.head.find("Upgrade"), std::string::npos) << out.head;
  EXPECT_EQ(out.head.find("Connection:"), std::string::npos) << out.head;
  EXPECT_EQ(out.content_length, 28u);
  EXPECT_NE(out.head.find("Content-Length: 28\r\n"), std::string::npos) << out.head;
}

TEST(ForwardedRequest, H2cIsNotAskedForAndItsSettingsStayBehind) {
  auto h2c = build_forwarded_request(client({{"Host", "h"},
                                             {"Connection", "Upgrade, HTTP2-Settings"},
                                             {"Upgrade", "h2c"},
                                             {"HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"}}),
                                     "t");
  EXPECT_FALSE(h2c.is_upgrade);
  for (const char* gone : {"Upgrade", "HTTP2-Settings", "Connection:"}) {
    EXPECT_EQ(h2c.head.find(gone), std::string::npos) << gone << "\n" << h2c.head;
  }
  auto both = build_forwarded_request(
      client({{"Host", "h"}, {"Connection", "Upgrade"}, {"Upgrade", "h2c, websocket"}}), "t");
  EXPECT_TRUE(both.is_upgrade);
  EXPECT_NE(both.head.find("Upgrade: websocket\r\n"), std::string::npos) << both.head;
  EXPECT_EQ(both.head.find("h2c"), std::string::npos) << both.head;
}

// The body's framing is the proxy's: the client's Content-Length goes on only
// when nothing contradicts it, and a request without a body announces none.
TEST(ForwardedRequest, FramesTheBodyItselfWhenTheLengthIsInDoubt) {
  auto with_chunked = build_forwarded_request(
      client({{"Host", "h"}, {"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}},
             /*has_body=*/true),
      "t");
  EXPECT_TRUE(with_chunked.chunked_body);
  EXPECT_EQ(with_chunked.head.find("Content-Length"), std::string::npos) << with_chunked.head;
  auto differing = build_forwarded_request(
      client({{"Host", "h"}, {"Content-Length", "5"}, {"Content-Length", "6"}}, /*has_body=*/true),
      "t");
  EXPECT_TRUE(differing.chunked_body);
  EXPECT_EQ(differing.head.find("Content-Length"), std::string::npos) << differing.head;
  auto repeated = build_forwarded_request(
      client({{"Host", "h"}, {"Content-Length", "5, 5"}}, /*has_body=*/true), "t");
  EXPECT_EQ(repeated.content_length, 5u);
  auto bodiless = build_forwarded_request(client({{"Host", "h"}, {"Content-Length", "28"}}), "t");
  EXPECT_FALSE(bodiless.content_length);
  EXPECT_NE(bodiless.head.find("Content-Length: 0\r\n"), std::string::npos) << bodiless.head;
}

// The front end took the chunks off; the codings applied before them are the
// app's to see ("gzip, chunked" says the body is gzip), as from Kestrel.
TEST(ForwardedRequest, KeepsTheCodingsBeforeChunked) {
  auto gzip = build_forwarded_request(
      client({{"Host", "h"}, {"Transfer-Encoding", "gzip, chunked"}}, /*has_body=*/true), "t");
  EXPECT_TRUE(gzip.chunked_body);
  EXPECT_NE(gzip.head.find("Transfer-Encoding: gzip, chunked\r\n"), std::string::npos) << gzip.head;
  auto two_fields = build_forwarded_request(
      client({{"Host", "h"}, {"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}},
             /*has_body=*/true),
      "t");
  EXPECT_NE(two_fields.head.find("Transfer-Encoding: gzip, chunked\r\n"), std::string::npos)
      << two_fields.head;
  auto plain = build_forwarded_request(
      client({{"Host", "h"}, {"Transfer-Encoding", "chunked"}}, /*has_body=*/true), "t");
  EXPECT_NE(plain.head.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << plain.head;
}

// The app sees an HTTP/1.0 request as it came (no Host if the client sent
// none), as on Kestrel directly; keep-alive is asked for the pooled connection.
TEST(ForwardedRequest, ForwardsHttp10AsHttp10WithoutAddingAHost) {
  auto request = client({});
  request.http_version = 10;
  auto out = build_forwarded_request(request, "t");
  EXPECT_EQ(out.head.rfind("POST /path?q=1 HTTP/1.0\r\n", 0), 0u) << out.head;
  EXPECT_EQ(out.head.find("Host:"), std::string::npos) << out.head;
  EXPECT_NE(out.head.find("Connection: keep-alive\r\n"), std::string::npos) << out.head;
}

TEST(ForwardedResponse, FiltersHopByHopHeaders) {
  EXPECT_TRUE(forward_response_header("Content-Type", 200, false));
  EXPECT_TRUE(forward_response_header("Content-Length", 200, false));
  EXPECT_FALSE(forward_response_header("Transfer-Encoding", 200, false));
  EXPECT_FALSE(forward_response_header("Keep-Alive", 200, false));
  EXPECT_FALSE(forward_response_header("Connection", 200, false));
  EXPECT_TRUE(forward_response_header("Connection", 200, true));  // forwardResponseConnectionHeader
  EXPECT_FALSE(forward_response_header("Upgrade", 200, false));
  EXPECT_TRUE(forward_response_header("Upgrade", 101, false));
  EXPECT_TRUE(forward_response_header("Connection", 101, false));
  EXPECT_TRUE(forward_response_header("Trailer", 200, false));  // the fields do not follow yet
}

}  // namespace
}  // namespace ancm::outofproc
