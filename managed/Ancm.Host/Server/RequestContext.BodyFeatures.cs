// IRequestBodyPipeFeature, IHttpRequestTrailersFeature and
// IHttpRequestIdentifierFeature, as Kestrel offers them. The request's
// trailers come from the native side once a read reached the end of the body
// (request_trailers): before that they are not available, as in Kestrel.
using System;
using System.IO;
using System.IO.Pipelines;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext :
    IRequestBodyPipeFeature,
    IHttpRequestTrailersFeature,
    IHttpRequestIdentifierFeature
{
    private PipeReader? _bodyPipeReader;
    private Stream? _bodyPipeStream;
    private IHeaderDictionary? _requestTrailers;
    private string? _traceIdentifier;

    // ---------------------------------------------------------------- IRequestBodyPipeFeature

    // Over whatever Request.Body is now (middleware may have replaced it).
    PipeReader IRequestBodyPipeFeature.Reader
    {
        get
        {
            var body = ((IHttpRequestFeature)this).Body;
            if (_bodyPipeReader is null || !ReferenceEquals(_bodyPipeStream, body))
            {
                _bodyPipeStream = body;
                _bodyPipeReader = PipeReader.Create(body, new StreamPipeReaderOptions(leaveOpen: true));
            }
            return _bodyPipeReader;
        }
    }

    // ---------------------------------------------------------------- IHttpRequestTrailersFeature

    // A request without a body has no trailers to wait for: available at once, as in Kestrel.
    public bool Available => _requestTrailers is not null || !_hasBody;

    public IHeaderDictionary Trailers
    {
        get
        {
            if (_requestTrailers is null && !_hasBody)
                _requestTrailers = new HeaderDictionary { IsReadOnly = true };
            return _requestTrailers ?? throw new InvalidOperationException(
                "The request trailers are not available yet. They may not be available until the full request body is read.");
        }
    }

    /// <summary>A read reached the end of the body: its trailers (if any) are known now.</summary>
    private void OnEndOfBody()
    {
        if (_requestTrailers is not null)
            return;
        var trailers = new HeaderDictionary();
        foreach (ref readonly var line in _native.Trailers())
        {
            var name = KnownNames.HeaderName(line.Name.Span);
            var value = HttpText.DecodeHeaderValue(line.Value.Span, _server.Latin1RequestHeaders);
            trailers[name] = trailers.TryGetValue(name, out var existing)
                ? StringValues.Concat(existing, value)
                : new StringValues(value);
        }
        trailers.IsReadOnly = true;
        _requestTrailers = trailers;
    }

    // ---------------------------------------------------------------- IHttpRequestIdentifierFeature

    // Kestrel's form, <connection id>:<request number>; every request has a
    // connection id of its own here.
    public string TraceIdentifier
    {
        get => _traceIdentifier ??= ConnectionId + ":00000001";
        set => _traceIdentifier = value;
    }
}
