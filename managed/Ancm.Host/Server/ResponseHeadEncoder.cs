// The response head as set_status/add_header calls: every value of a
// multi-valued header is its own header line (Set-Cookie needs that), bytes
// are Latin-1 when they fit and UTF-8 otherwise. Control characters are
// refused before the first native call with Kestrel's InvalidOperationException:
// in header values every one but HTAB (Kestrel's rule; non-ASCII is sent, as
// IIS sends it), in the reason phrase everything but HTAB, SP and VCHAR (IIS's
// rule, which refuses it when set).
using System;
using System.Buffers;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ancm.Host.Server;

internal static class ResponseHeadEncoder
{
    public static void Validate(string reason, IHeaderDictionary headers)
    {
        ValidateReasonPhrase(reason);
        foreach (var (name, values) in headers)
        {
            if (!IsValidName(name))
                throw new InvalidOperationException($"Invalid response header name '{name}'.");
            foreach (var value in values)
            {
                var invalid = value is null ? -1 : value.AsSpan().IndexOfAny(ControlChars);
                if (invalid >= 0)
                    throw new InvalidOperationException(
                        $"Invalid control character in header '{name}': {CharCode(value![invalid])}.");
            }
        }
    }

    public static void ValidateReasonPhrase(string? reason)
    {
        var invalid = reason is null ? -1 : reason.AsSpan().IndexOfAnyExcept(ReasonPhraseChars);
        if (invalid >= 0)
            throw new InvalidOperationException(
                $"Invalid non-ASCII or control character in reason phrase: {CharCode(reason![invalid])}.");
    }

    private static string CharCode(char c) => $"0x{(int)c:X4}";

    private static readonly SearchValues<char> InvalidNameChars = SearchValues.Create(":\r\n\0 \t()<>@,;\\\"/[]?={}");

    // C0 controls but HTAB, and DEL.
    private static readonly SearchValues<char> ControlChars = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000A\u000B\u000C\u000D\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    // HTAB, SP and VCHAR (RFC 9112 §4).
    private static readonly SearchValues<char> ReasonPhraseChars = SearchValues.Create(
        "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    public static void Send(NativeRequest native, int status, string reason, IHeaderDictionary headers)
    {
        byte[]? rented = null;
        try
        {
            Span<byte> scratch = stackalloc byte[512];
            native.SetStatus(status, Encode(reason, scratch, ref rented, out var reasonLength)[..reasonLength]);
            SendFields(native, headers, scratch, ref rented, static (native, name, value) => native.AddHeader(name, value));
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The response's trailer fields (add_trailer), with the rules of header
    /// lines. A field that is not valid, or that the server refuses (it
    /// answers -EINVAL for fields HTTP forbids in trailers), is reported to
    /// refused with its name and status and left out.
    /// </summary>
    public static void SendTrailers(NativeRequest native, IHeaderDictionary trailers, Action<string, int> refused)
    {
        byte[]? rented = null;
        try
        {
            Span<byte> scratch = stackalloc byte[512];
            foreach (var (name, values) in trailers)
            {
                if (!IsValidField(name, values))
                {
                    refused(name, -NativeErrors.EINVAL);
                    continue;
                }
                var status = 0;
                SendField(native, name, values, scratch, ref rented, static (native, n, v) => native.AddTrailer(n, v),
                    ref status);
                if (status < 0)
                    refused(name, status);
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private delegate int FieldSink(NativeRequest native, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value);

    private static bool IsValidName(string name) => name.Length > 0 && name.AsSpan().IndexOfAny(InvalidNameChars) < 0;

    /// <summary>A field the native side may be given: a token name, no control character but HTAB in values.</summary>
    internal static bool IsValidField(string name, StringValues values)
    {
        if (!IsValidName(name))
            return false;
        foreach (var value in values)
        {
            if (value is not null && value.AsSpan().IndexOfAny(ControlChars) >= 0)
                return false;
        }
        return true;
    }

    private static void SendFields(NativeRequest native, IHeaderDictionary fields, Span<byte> scratch,
        ref byte[]? rented, FieldSink sink)
    {
        var ignored = 0;
        foreach (var (name, values) in fields)
            SendField(native, name, values, scratch, ref rented, sink, ref ignored);
    }

    // Every value its own line; status keeps the first failure.
    private static void SendField(NativeRequest native, string name, StringValues values, Span<byte> scratch,
        ref byte[]? rented, FieldSink sink, ref int status)
    {
        foreach (var value in values)
        {
            if (value is null)
                continue;
            // One buffer for name then value: fields rarely exceed 512 bytes.
            var nameBytes = HttpText.GetByteCount(name);
            var valueBytes = HttpText.GetByteCount(value);
            var buffer = Rent(scratch, nameBytes + valueBytes, ref rented);
            HttpText.Encode(name, buffer[..nameBytes]);
            HttpText.Encode(value, buffer.Slice(nameBytes, valueBytes));
            var sent = sink(native, buffer[..nameBytes], buffer.Slice(nameBytes, valueBytes));
            if (sent < 0 && status == 0)
                status = sent;
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
