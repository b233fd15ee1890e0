using Ancm.Host.Server;
using Microsoft.AspNetCore.Http;

// The path the app sees: percent-decoded except %2F, dot segments removed.
static class RequestPathTests
{
    public static void Register()
    {
        Case("plain path", "/a/b", "/a/b");
        Case("empty target", "", "/");
        Case("asterisk-form", "*", "");
        Case("percent-decoded", "/a%20b/%41", "/a b/A");
        Case("encoded slash stays encoded", "/a%2Fb/%2fc", "/a%2Fb/%2fc");
        Case("UTF-8", "/%C3%A9t%C3%A9", "/été");
        Case("invalid UTF-8 keeps the bytes as Latin-1", "/%E9", "/é");
        Case("dot segments", "/a/./b/../c", "/a/c");
        Case("trailing dot segments", "/a/b/..", "/a/");
        Case("cannot climb above the root", "/../../etc/passwd", "/etc/passwd");
        Case("encoded dot segments", "/a/%2e%2E/b", "/b");
        Case("dots inside names stay", "/a/..b/.c/...", "/a/..b/.c/...");
        Case("absolute-form", "http://example.com:8080/x/y", "/x/y");
        Case("absolute-form without path", "http://example.com", "/");
        Case("broken percent escape stays", "/a%zz%4", "/a%zz%4");

        TestRunner.Add("RequestPath: an encoded NUL is a bad request", () =>
        {
            var e = Expect.Throws<BadHttpRequestException>(() => RequestPath.Decode("/a%00b"u8));
            Expect.Equal(400, e.StatusCode);
        });
        TestRunner.Add("RequestPath: long paths (pooled buffer)", () =>
        {
            var segment = new string('x', 100);
            var raw = string.Concat(Enumerable.Repeat("/" + segment, 20)) + "/../y";
            var expected = string.Concat(Enumerable.Repeat("/" + segment, 19)) + "/y";
            Expect.Equal(expected, RequestPath.Decode(System.Text.Encoding.ASCII.GetBytes(raw)));
        });
    }

    private static void Case(string name, string raw, string expected) =>
        TestRunner.Add($"RequestPath: {name}", () =>
            Expect.Equal(expected, RequestPath.Decode(System.Text.Encoding.Latin1.GetBytes(raw)), raw));
}
