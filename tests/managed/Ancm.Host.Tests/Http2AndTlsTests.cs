using System.Net.Security;
using System.Security.Authentication;
using Ancm.Host.Native;
using Ancm.Host.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

// What the app sees of the request's HTTP version and of its TLS handshake,
// and which response trailer fields the server is handed.
static class Http2AndTlsTests
{
    public static void Register()
    {
        TestRunner.Add("HttpVersions: 10, 11 and 20 are HTTP/1.0, HTTP/1.1 and HTTP/2, as Kestrel spells them", () =>
        {
            Expect.Equal(HttpProtocol.Http10, HttpVersions.Protocol(10));
            Expect.Equal(HttpProtocol.Http11, HttpVersions.Protocol(11));
            Expect.Equal("HTTP/2", HttpVersions.Protocol(20));
            Expect.True(HttpProtocol.IsHttp2(HttpVersions.Protocol(20)), "IsHttp2 (what gRPC checks)");
        });
        TestRunner.Add("ServerVariables: SERVER_PROTOCOL follows the request's version, HTTP/2 included", () =>
        {
            foreach (var (version, expected) in new[] { (10, "HTTP/1.0"), (11, "HTTP/1.1"), (20, "HTTP/2") })
            {
                var info = new AncmRequestInfo { HttpVersion = version };
                Expect.Equal(expected, ServerVariables.Compute("SERVER_PROTOCOL", in info, latin1: false, "/app"));
            }
        });
        TestRunner.Add("TlsText: OpenSSL's protocol names", () =>
        {
            Expect.Equal(SslProtocols.Tls13, TlsText.Protocol("TLSv1.3"));
            Expect.Equal(SslProtocols.Tls12, TlsText.Protocol("TLSv1.2"));
            Expect.Equal(SslProtocols.None, TlsText.Protocol("SSLv3"));
        });
        TestRunner.Add("TlsText: OpenSSL's cipher names as IANA suites, TLS 1.3 and 1.2 AEAD; others null", () =>
        {
            Expect.Equal<TlsCipherSuite?>(TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsText.CipherSuite("TLS_AES_256_GCM_SHA384"));
            Expect.Equal<TlsCipherSuite?>(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                TlsText.CipherSuite("ECDHE-RSA-AES128-GCM-SHA256"));
            Expect.Equal<TlsCipherSuite?>(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                TlsText.CipherSuite("ECDHE-ECDSA-CHACHA20-POLY1305"));
            Expect.Equal<TlsCipherSuite?>(TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
                TlsText.CipherSuite("DHE-RSA-AES256-GCM-SHA384"));
            Expect.Equal<TlsCipherSuite?>(null, TlsText.CipherSuite("AES128-SHA"));
            Expect.Equal<TlsCipherSuite?>(null, TlsText.CipherSuite("TLS_NOT_A_SUITE"));
        });
        TestRunner.Add("Trailers: token names and values without control characters go to the server", () =>
        {
            Expect.True(ResponseHeadEncoder.IsValidField("grpc-status", new StringValues("0")), "grpc-status");
            Expect.True(ResponseHeadEncoder.IsValidField("grpc-message", new StringValues("a\tb é")), "HTAB and non-ASCII");
            Expect.True(!ResponseHeadEncoder.IsValidField("", new StringValues("x")), "empty name");
            Expect.True(!ResponseHeadEncoder.IsValidField("bad name", new StringValues("x")), "space in name");
            Expect.True(!ResponseHeadEncoder.IsValidField("x", new StringValues(["ok", "a\r\nb"])), "CRLF in a value");
        });
    }
}
