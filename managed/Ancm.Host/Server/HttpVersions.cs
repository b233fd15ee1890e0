// The request's HTTP version as the native side reports it (request_info's
// http_version: 10, 11 or 20) and the protocol string the app sees for it, as
// Kestrel's HttpRequest.Protocol and IIS's SERVER_PROTOCOL spell it.
using Microsoft.AspNetCore.Http;

namespace Ancm.Host.Server;

internal static class HttpVersions
{
    public const int Http10 = 10;
    public const int Http11 = 11;
    public const int Http2 = 20;

    public static string Protocol(int httpVersion) => httpVersion switch
    {
        Http10 => HttpProtocol.Http10,
        Http2 => HttpProtocol.Http2,
        _ => HttpProtocol.Http11,
    };
}
