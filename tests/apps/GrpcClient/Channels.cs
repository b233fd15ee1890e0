using System.Net;
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
            sockets.SslOptions.RemoteCertificateValidationCallback = TestCa.TrustOnly(caFile);
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new Http2Only(sockets),
            DisposeHttpClient = true,
        });
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
