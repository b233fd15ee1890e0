// Blittable mirrors of the plain data structs in abi/include/ancm/handler_abi.h
// and inproc/include/ancm/managed_abi.h. Field order and types must match C
// exactly (x86-64/arm64 SysV: size_t = nuint, pointers = pointer-sized).
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Ancm.Host.Native;

/// <summary>ancm_str: a byte span owned by the native side.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe readonly struct AncmStr
{
    public readonly byte* Data;
    public readonly nuint Length;

    public AncmStr(byte* data, nuint length)
    {
        Data = data;
        Length = length;
    }

    public ReadOnlySpan<byte> Span => Length == 0 ? default : new ReadOnlySpan<byte>(Data, checked((int)Length));

    public bool IsEmpty => Length == 0;

    /// <summary>Latin-1 keeps every byte as one char: right for the request line and addresses.</summary>
    public string ToLatin1() => Length == 0 ? string.Empty : Encoding.Latin1.GetString(Span);
}

/// <summary>ancm_kv: one header line.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct AncmKv
{
    public readonly AncmStr Name;
    public readonly AncmStr Value;
}

/// <summary>ancm_request_info: the request line, headers and peer in one call.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AncmRequestInfo
{
    public AncmStr Method;
    public AncmStr Target;
    public AncmStr Path;
    public AncmStr Query;
    public AncmKv* Headers;
    public nuint HeaderCount;
    public AncmStr RemoteAddress;
    public AncmStr LocalAddress;
    public ushort RemotePort;
    public ushort LocalPort;
    public int HttpVersion; // 10, 11 or 20 (HTTP/2)
    public int HasBody;
    public int IsTls;

    public ReadOnlySpan<AncmKv> HeaderSpan =>
        HeaderCount == 0 ? default : new ReadOnlySpan<AncmKv>(Headers, checked((int)HeaderCount));
}

/// <summary>ancm_log_level.</summary>
internal enum AncmLogLevel
{
    Trace = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AncmTlsInfo
{
    public AncmStr Protocol;
    public AncmStr Cipher;
    public AncmStr Alpn;
    public AncmStr ServerName;
    public byte* ClientCertificate;
    public nuint ClientCertificateLen;
}
