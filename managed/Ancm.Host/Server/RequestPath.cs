// The request path as ASP.NET Core expects it from a server, done the way
// Kestrel does it: percent-decoded except %2F (an encoded slash must not become
// a segment separator), dot segments removed (so "/a/../b" can never climb out
// of a folder), UTF-8 when valid.
using System;
using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Ancm.Host.Server;

internal static class RequestPath
{
    public static string Decode(ReadOnlySpan<byte> raw)
    {
        if (raw.Length == 1 && raw[0] == (byte)'*')
            return string.Empty; // OPTIONS * (asterisk-form)
        raw = StripAbsoluteForm(raw);
        if (raw.IsEmpty)
            return "/";

        byte[]? rented = null;
        var buffer = raw.Length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(raw.Length));
        try
        {
            var length = PercentDecode(raw, buffer);
            length = RemoveDotSegments(buffer[..length]);
            var decoded = buffer[..length];
            if (decoded.IndexOf((byte)0) >= 0)
                throw new BadHttpRequestException("The request path contains a NUL character.", StatusCodes.Status400BadRequest);
            return length == 0 ? "/" : HttpText.Decode(decoded);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // "http://host:port/path" (absolute-form, as proxies send) -> "/path".
    private static ReadOnlySpan<byte> StripAbsoluteForm(ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty || raw[0] == (byte)'/')
            return raw;
        var scheme = raw.IndexOf("://"u8);
        if (scheme < 0)
            return raw;
        var rest = raw[(scheme + 3)..];
        var slash = rest.IndexOf((byte)'/');
        return slash < 0 ? ReadOnlySpan<byte>.Empty : rest[slash..];
    }

    private static int PercentDecode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var written = 0;
        for (var k = 0; k < source.Length; k++)
        {
            var b = source[k];
            if (b == (byte)'%' && k + 2 < source.Length && TryHex(source[k + 1], source[k + 2], out var value)
                && value != (byte)'/')
            {
                destination[written++] = value;
                k += 2;
            }
            else
            {
                destination[written++] = b;
            }
        }
        return written;
    }

    private static bool TryHex(byte high, byte low, out byte value)
    {
        var h = HexValue(high);
        var l = HexValue(low);
        value = (byte)((h << 4) | l);
        return h >= 0 && l >= 0;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>RFC 3986 §5.2.4 on a path that starts with '/', in place.</summary>
    internal static int RemoveDotSegments(Span<byte> path)
    {
        if (path.IsEmpty || path[0] != (byte)'/' || path.IndexOf("/."u8) < 0)
            return path.Length;

        var read = 0;
        var write = 0;
        while (read < path.Length)
        {
            // path[read] is '/' here: every segment starts with one.
            var next = path[(read + 1)..].IndexOf((byte)'/');
            var end = next < 0 ? path.Length : read + 1 + next;
            var segment = path[(read + 1)..end];
            var last = end == path.Length;

            if (segment.SequenceEqual("."u8))
            {
                if (last)
                    path[write++] = (byte)'/';
            }
            else if (segment.SequenceEqual(".."u8))
            {
                var parent = path[..write].LastIndexOf((byte)'/');
                write = parent < 0 ? 0 : parent;
                if (last)
                    path[write++] = (byte)'/';
            }
            else
            {
                path[read..end].CopyTo(path[write..]);
                write += end - read;
            }
            read = end;
        }
        return write;
    }
}
