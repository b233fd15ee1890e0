using System.Text;
using Ancm.Host.Server;
using Microsoft.AspNetCore.Http;

// Request header bytes to strings, and the response head checks.
static class HeaderTextTests
{
    public static void Register()
    {
        TestRunner.Add("HttpText: ASCII, UTF-8, and other bytes as Latin-1", () =>
        {
            Expect.Equal("plain", HttpText.Decode("plain"u8));
            Expect.Equal("café", HttpText.Decode(Encoding.UTF8.GetBytes("café")));
            Expect.Equal("caf\u00e9", HttpText.Decode([(byte)'c', (byte)'a', (byte)'f', 0xE9]));
            Expect.Equal("", HttpText.Decode(ReadOnlySpan<byte>.Empty));
        });
        TestRunner.Add("HttpText: response values are Latin-1 when they fit, else UTF-8", () =>
        {
            foreach (var (text, expected) in new[] { ("abc", new byte[] { 0x61, 0x62, 0x63 }), ("é", new byte[] { 0xE9 }),
                                                     ("€", Encoding.UTF8.GetBytes("€")) })
            {
                var buffer = new byte[HttpText.GetByteCount(text)];
                HttpText.Encode(text, buffer);
                Expect.True(buffer.AsSpan().SequenceEqual(expected), $"encoding of {text}");
            }
        });
        TestRunner.Add("KnownNames: canonical header names and methods without new strings", () =>
        {
            Expect.True(ReferenceEquals("Content-Type", KnownNames.HeaderName("content-type"u8)), "interned Content-Type");
            Expect.Equal("Sec-WebSocket-Key", KnownNames.HeaderName("SEC-WEBSOCKET-KEY"u8));
            Expect.Equal("X-Custom-Thing", KnownNames.HeaderName("X-Custom-Thing"u8));
            Expect.True(ReferenceEquals(HttpMethods.Get, KnownNames.Method("GET"u8)), "interned GET");
            Expect.Equal("PROPFIND", KnownNames.Method("PROPFIND"u8));
            Expect.Equal("get", KnownNames.Method("get"u8)); // methods are case-sensitive
        });
        TestRunner.Add("ResponseHeadEncoder: accepts ordinary heads", () =>
        {
            var headers = new HeaderDictionary { ["Content-Type"] = "text/plain", ["Set-Cookie"] = new(["a=1", "b=2"]) };
            ResponseHeadEncoder.Validate("OK", headers);
        });
        TestRunner.Add("ResponseHeadEncoder: refuses anything that could split the response", () =>
        {
            Expect.Throws<InvalidOperationException>(() =>
                ResponseHeadEncoder.Validate("OK", new HeaderDictionary { ["X"] = "a\r\nInjected: yes" }));
            Expect.Throws<InvalidOperationException>(() =>
                ResponseHeadEncoder.Validate("OK", new HeaderDictionary { ["Bad:Name"] = "v" }));
            Expect.Throws<InvalidOperationException>(() =>
                ResponseHeadEncoder.Validate("OK", new HeaderDictionary { ["Bad Name"] = "v" }));
            Expect.Throws<InvalidOperationException>(() =>
                ResponseHeadEncoder.Validate("OK\n", new HeaderDictionary()));
        });
    }
}
