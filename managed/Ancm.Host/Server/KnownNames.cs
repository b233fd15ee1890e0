// The strings of common methods and header names, so a request allocates no
// string for them (and header names get their canonical casing, as in Kestrel).
using System;
using System.Linq;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Ancm.Host.Server;

internal static class KnownNames
{
    private static readonly string[] s_methods =
    [
        HttpMethods.Get, HttpMethods.Post, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Head,
        HttpMethods.Options, HttpMethods.Patch, HttpMethods.Trace, HttpMethods.Connect,
    ];

    private static readonly string[] s_headerNames =
    [
        HeaderNames.Accept, HeaderNames.AcceptCharset, HeaderNames.AcceptEncoding, HeaderNames.AcceptLanguage,
        HeaderNames.AccessControlRequestHeaders, HeaderNames.AccessControlRequestMethod,
        HeaderNames.Authorization, HeaderNames.CacheControl, HeaderNames.Connection,
        HeaderNames.ContentEncoding, HeaderNames.ContentLength, HeaderNames.ContentType, HeaderNames.Cookie,
        HeaderNames.Expect, HeaderNames.Host, HeaderNames.IfMatch, HeaderNames.IfModifiedSince,
        HeaderNames.IfNoneMatch, HeaderNames.IfRange, HeaderNames.IfUnmodifiedSince, HeaderNames.KeepAlive,
        HeaderNames.Origin, HeaderNames.Pragma, HeaderNames.Range, HeaderNames.Referer,
        HeaderNames.SecWebSocketExtensions, HeaderNames.SecWebSocketKey, HeaderNames.SecWebSocketProtocol,
        HeaderNames.SecWebSocketVersion, HeaderNames.TE, HeaderNames.TraceParent, HeaderNames.TraceState,
        HeaderNames.TransferEncoding, HeaderNames.Upgrade, HeaderNames.UpgradeInsecureRequests,
        HeaderNames.UserAgent, "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
        HeaderNames.XRequestedWith, "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User",
        "Sec-CH-UA", "Sec-CH-UA-Mobile", "Sec-CH-UA-Platform", "DNT", "Priority",
    ];

    // Candidates bucketed by length: a lookup compares only same-length names.
    private static readonly string[][] s_headersByLength = Bucket(s_headerNames);

    public static string Method(ReadOnlySpan<byte> bytes)
    {
        foreach (var method in s_methods)
        {
            if (method.Length == bytes.Length && Ascii.Equals(bytes, method))
                return method;
        }
        return HttpText.Decode(bytes);
    }

    public static string HeaderName(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < s_headersByLength.Length)
        {
            foreach (var name in s_headersByLength[bytes.Length])
            {
                if (Ascii.EqualsIgnoreCase(bytes, name))
                    return name;
            }
        }
        return HttpText.Decode(bytes);
    }

    private static string[][] Bucket(string[] names)
    {
        var buckets = new string[names.Max(n => n.Length) + 1][];
        for (var length = 0; length < buckets.Length; length++)
            buckets[length] = names.Where(n => n.Length == length).ToArray();
        return buckets;
    }
}
