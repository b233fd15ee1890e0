// What tls_info reported, copied into managed memory at once: the native
// spans are only valid until the request ends, the app may look later.
using System;
using System.Text;

namespace Ancm.Host.Native;

internal sealed class NativeTlsInfo
{
    public required string Protocol { get; init; }
    public required string Cipher { get; init; }
    public required string Alpn { get; init; }
    public required string ServerName { get; init; }

    /// <summary>The client's certificate, DER; null when it sent none.</summary>
    public required byte[]? ClientCertificate { get; init; }

    public static unsafe NativeTlsInfo CopyOf(in AncmTlsInfo info) => new()
    {
        Protocol = info.Protocol.ToLatin1(),
        Cipher = info.Cipher.ToLatin1(),
        Alpn = info.Alpn.ToLatin1(),
        // SNI is a DNS name: ASCII (an IDN arrives as its A-label).
        ServerName = info.ServerName.IsEmpty ? string.Empty : Encoding.ASCII.GetString(info.ServerName.Span),
        ClientCertificate = info.ClientCertificate == null || info.ClientCertificateLen == 0
            ? null
            : new ReadOnlySpan<byte>(info.ClientCertificate, checked((int)info.ClientCertificateLen)).ToArray(),
    };
}
