// ITlsHandshakeFeature and ITlsConnectionFeature for a request that came over
// TLS (tls_info answered), as Kestrel offers them: the handshake's protocol,
// cipher suite and SNI name, and the client's certificate, parsed from the
// DER bytes when first asked for. The native side finished the handshake
// before the request, so there is no renegotiation to wait for.
using System;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : ITlsHandshakeFeature, ITlsConnectionFeature
{
    private NativeTlsInfo? _tls;
    private X509Certificate2? _clientCertificate;
    private bool _clientCertificateRead;

    private void ReadTlsInfo()
    {
        _tls = _native.TlsInfo();
        if (_tls is null)
            return;
        _tlsHandshakeFeature = this;
        _tlsConnectionFeature = this;
    }

    // ---------------------------------------------------------------- ITlsHandshakeFeature

    SslProtocols ITlsHandshakeFeature.Protocol => TlsText.Protocol(_tls!.Protocol);

    TlsCipherSuite? ITlsHandshakeFeature.NegotiatedCipherSuite => TlsText.CipherSuite(_tls!.Cipher);

    string ITlsHandshakeFeature.HostName => _tls!.ServerName;

    // The algorithm-by-algorithm view (obsolete since .NET 10 in favour of
    // NegotiatedCipherSuite) is not reported: tls_info names the suite only.
#pragma warning disable SYSLIB0058
    CipherAlgorithmType ITlsHandshakeFeature.CipherAlgorithm => CipherAlgorithmType.None;

    int ITlsHandshakeFeature.CipherStrength => 0;

    HashAlgorithmType ITlsHandshakeFeature.HashAlgorithm => HashAlgorithmType.None;

    int ITlsHandshakeFeature.HashStrength => 0;

    ExchangeAlgorithmType ITlsHandshakeFeature.KeyExchangeAlgorithm => ExchangeAlgorithmType.None;

    int ITlsHandshakeFeature.KeyExchangeStrength => 0;
#pragma warning restore SYSLIB0058

    // ---------------------------------------------------------------- ITlsConnectionFeature

    public X509Certificate2? ClientCertificate
    {
        get
        {
            if (!_clientCertificateRead)
            {
                _clientCertificateRead = true;
                if (_tls?.ClientCertificate is { } der)
                    _clientCertificate = X509CertificateLoader.LoadCertificate(der);
            }
            return _clientCertificate;
        }
        set
        {
            _clientCertificateRead = true;
            _clientCertificate = value;
        }
    }

    public Task<X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested
            ? Task.FromCanceled<X509Certificate2?>(cancellationToken)
            : Task.FromResult(ClientCertificate);
}
