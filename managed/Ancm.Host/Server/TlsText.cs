// tls_info's words (OpenSSL's) as the .NET types ITlsHandshakeFeature uses.
using System;
using System.Net.Security;
using System.Security.Authentication;

namespace Ancm.Host.Server;

internal static class TlsText
{
    /// <summary>OpenSSL's SSL_get_version name ("TLSv1.3") as SslProtocols; None when unknown.</summary>
    public static SslProtocols Protocol(string name) => name switch
    {
        "TLSv1.3" => SslProtocols.Tls13,
        "TLSv1.2" => SslProtocols.Tls12,
        _ => SslProtocols.None,
    };

    /// <summary>
    /// OpenSSL's cipher name as the IANA suite: TLS 1.3 suites carry the IANA
    /// name already; TLS 1.2's AEAD suites (the ones OpenSSL offers by default)
    /// are spelled "ECDHE-RSA-AES128-GCM-SHA256" and translated. Null otherwise.
    /// </summary>
    public static TlsCipherSuite? CipherSuite(string name)
    {
        if (name.StartsWith("TLS_", StringComparison.Ordinal))
            return Enum.TryParse<TlsCipherSuite>(name, out var suite) ? suite : null;
        var exchange = Prefix(name, "ECDHE-RSA-", "ECDHE_RSA") ?? Prefix(name, "ECDHE-ECDSA-", "ECDHE_ECDSA")
            ?? Prefix(name, "DHE-RSA-", "DHE_RSA");
        if (exchange is not var (kx, rest))
            return null;
        var bulk = rest switch
        {
            "AES128-GCM-SHA256" => "AES_128_GCM_SHA256",
            "AES256-GCM-SHA384" => "AES_256_GCM_SHA384",
            "CHACHA20-POLY1305" => "CHACHA20_POLY1305_SHA256",
            _ => null,
        };
        return bulk is not null && Enum.TryParse<TlsCipherSuite>($"TLS_{kx}_WITH_{bulk}", out var tls12) ? tls12 : null;
    }

    private static (string Exchange, string Remainder)? Prefix(string name, string openSsl, string iana) =>
        name.StartsWith(openSsl, StringComparison.Ordinal) ? (iana, name[openSsl.Length..]) : null;
}
