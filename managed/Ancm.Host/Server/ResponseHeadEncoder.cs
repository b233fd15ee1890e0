// The response head as set_status/add_header calls: every value of a
// multi-valued header is its own header line (Set-Cookie needs that), bytes
// are Latin-1 when they fit and UTF-8 otherwise, and anything that could split
// the response (CR, LF, NUL) is refused before the first native call.
using System;
using System.Buffers;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http;

namespace Ancm.Host.Server;

internal static class ResponseHeadEncoder
{
    public static void Validate(string reason, IHeaderDictionary headers)
    {
        if (reason.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            throw new InvalidOperationException("The reason phrase contains a line break or NUL.");
        foreach (var (name, values) in headers)
        {
            if (name.Length == 0 || name.AsSpan().IndexOfAny(InvalidNameChars) >= 0)
                throw new InvalidOperationException($"Invalid response header name '{name}'.");
            foreach (var value in values)
            {
                if (value is not null && value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
                    throw new InvalidOperationException($"Invalid control character in the value of response header '{name}'.");
            }
        }
    }

    private static readonly SearchValues<char> InvalidNameChars = SearchValues.Create(":\r\n\0 \t()<>@,;\\\"/[]?={}");

    public static void Send(NativeRequest native, int status, string reason, IHeaderDictionary headers)
    {
        byte[]? rented = null;
        try
        {
            Span<byte> scratch = stackalloc byte[512];
            native.SetStatus(status, Encode(reason, scratch, ref rented, out var reasonLength)[..reasonLength]);
            foreach (var (name, values) in headers)
            {
                foreach (var value in values)
                {
                    if (value is null)
                        continue;
                    // One buffer for name then value: headers rarely exceed 512 bytes.
                    var nameBytes = HttpText.GetByteCount(name);
                    var valueBytes = HttpText.GetByteCount(value);
                    var buffer = Rent(scratch, nameBytes + valueBytes, ref rented);
                    HttpText.Encode(name, buffer[..nameBytes]);
                    HttpText.Encode(value, buffer.Slice(nameBytes, valueBytes));
                    native.AddHeader(buffer[..nameBytes], buffer.Slice(nameBytes, valueBytes));
                }
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static Span<byte> Encode(string text, Span<byte> scratch, ref byte[]? rented, out int length)
    {
        length = HttpText.GetByteCount(text);
        var buffer = Rent(scratch, length, ref rented);
        HttpText.Encode(text, buffer[..length]);
        return buffer;
    }

    private static Span<byte> Rent(Span<byte> scratch, int length, ref byte[]? rented)
    {
        if (length <= scratch.Length)
            return scratch;
        if (rented is null || rented.Length < length)
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
            rented = ArrayPool<byte>.Shared.Rent(length);
        }
        return rented;
    }
}
