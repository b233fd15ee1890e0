// The features Kestrel offers on HTTP/2 streams only: IHttpResponseTrailersFeature
// (so Response.SupportsTrailers() is true only there, as on Kestrel, where it
// asks for the feature and a writable Trailers) and IHttpResetFeature. The
// trailers go to the native side (add_trailer) when the response ends, before
// complete(); a reset ends the request with RST_STREAM (native reset).
using System;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IHttpResponseTrailersFeature, IHttpResetFeature
{
    private IHeaderDictionary? _responseTrailers;

    private void OfferVersionFeatures(int httpVersion)
    {
        if (httpVersion != HttpVersions.Http2)
            return;
        _responseTrailersFeature = this;
        _resetFeature = this;
    }

    // ---------------------------------------------------------------- IHttpResponseTrailersFeature

    IHeaderDictionary IHttpResponseTrailersFeature.Trailers
    {
        get => _responseTrailers ??= new HeaderDictionary();
        set => _responseTrailers = value;
    }

    /// <summary>
    /// At the end of the response, before complete(): the app's trailers, each
    /// value its own field, read-only from here on (as Kestrel makes them). A
    /// field the server refuses (a control character, or one HTTP forbids in
    /// trailers) is logged and left out: a recipient may drop trailers anyway.
    /// </summary>
    private void SendTrailers()
    {
        if (_responseTrailers is not { } trailers)
            return;
        if (trailers is HeaderDictionary dictionary)
            dictionary.IsReadOnly = true;
        if (trailers.Count == 0)
            return;
        ResponseHeadEncoder.SendTrailers(_native, trailers, (name, status) => _server.LogError(
            new InvalidOperationException($"The response trailer '{name}' was refused (errno {-status})."),
            "A response trailer was left out"));
    }

    // ---------------------------------------------------------------- IHttpResetFeature

    /// <summary>
    /// As Kestrel's Http2Stream: the stream is reset with the app's error code
    /// and the request is aborted (RequestAborted fires, later writes are
    /// dropped). Like Abort() it may come from any thread, so it is a flag and
    /// the native end, not a response phase: the end of the app's flow then
    /// finds the request ended and moves no phase. After the response ended
    /// (complete()), the request is no longer ours and nothing is sent.
    /// </summary>
    public void Reset(int errorCode)
    {
        if (!_native.Reset(unchecked((uint)errorCode)))
            return;
        _aborted = true;
        SignalAborted();
    }
}
