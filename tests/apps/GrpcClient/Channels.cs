using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;

namespace GrpcClient;

internal static class Channels
{
    // Every request is HTTP/2 and nothing else: h2c with prior knowledge over
    // http://, ALPN h2 over https://, never a fallback to HTTP/1.1.
    public static GrpcChannel Create(Uri address, string? caFile)
    {
        var sockets = new SocketsHttpHandler { EnableMultipleHttp2Connections = false };
        if (caFile is not null)
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(caFile);
            if (certificates.Count == 0)
                throw new ArgumentException($"no certificate in '{caFile}'");
            var ca = certificates[0];
            sockets.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is not null && IsIssuedBy(new X509Certificate2(certificate), ca, errors);
        }
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new Http2Only(sockets),
            DisposeHttpClient = true,
        });
    }

    private static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2 ca, SslPolicyErrors errors)
    {
        // A name mismatch is still an error; only the chain is judged by our CA.
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private sealed class Http2Only(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request,
            CancellationToken cancellationToken)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
