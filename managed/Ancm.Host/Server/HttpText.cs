// Bytes from the request line and headers as strings: ASCII is the norm,
// UTF-8 is what browsers send beyond it, Latin-1 keeps any other byte intact.
// Header values follow ANCM in-process instead: UTF-8, with U+FFFD for bytes
// that are not, unless the app opts in to Latin-1 (Latin1RequestHeadersSwitch).
using System;
using System.Text;
using System.Text.Unicode;

namespace Ancm.Host.Server;

internal static class HttpText
{
    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
            return string.Empty;
        if (Ascii.IsValid(bytes) || !Utf8.IsValid(bytes))
            return Encoding.Latin1.GetString(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>The AppContext switch IIS in-process reads (IISHttpServer) to decode request headers as Latin-1.</summary>
    public const string Latin1RequestHeadersSwitch = "Microsoft.AspNetCore.Server.IIS.Latin1RequestHeaders";

    public static string DecodeHeaderValue(ReadOnlySpan<byte> bytes, bool latin1)
    {
        if (bytes.IsEmpty)
            return string.Empty;
        if (latin1 || Ascii.IsValid(bytes))
            return Encoding.Latin1.GetString(bytes);
        return Encoding.UTF8.GetString(bytes); // invalid sequences become U+FFFD
    }

    /// <summary>Encodes a response header value: Latin-1 when it fits, else UTF-8.</summary>
    public static int GetByteCount(string value)
    {
        foreach (var c in value)
        {
            if (c > 0xFF)
                return Encoding.UTF8.GetByteCount(value);
        }
        return value.Length;
    }

    public static int Encode(string value, Span<byte> destination)
    {
        if (destination.Length == value.Length)
            return Encoding.Latin1.GetBytes(value, destination);
        return Encoding.UTF8.GetBytes(value, destination);
    }
}
