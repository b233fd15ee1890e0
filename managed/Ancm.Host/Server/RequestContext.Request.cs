// IHttpRequestFeature, IHttpConnectionFeature, IHttpRequestBodyDetectionFeature,
// IHttpMaxRequestBodySizeFeature and IHttpBodyControlFeature, filled from one
// request_info call. Native spans are only valid until the request ends, so
// everything the app may see is copied into strings here, once.
using System;
using System.IO;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext :
    IHttpRequestFeature,
    IHttpConnectionFeature,
    IHttpRequestBodyDetectionFeature,
    IHttpMaxRequestBodySizeFeature,
    IHttpBodyControlFeature
{
    private readonly RequestBodyStream _requestBody;
    private NativeReader? _bodyReader;
    private bool _hasBody;
    private bool _bodyReadStarted;
    private long _bodyBytesRead;
    private long? _maxRequestBodySize;
    private BadHttpRequestException? _bodyError;
    private bool _allowSynchronousIO;
    private string? _connectionId;

    private void ReadRequest(in AncmRequestInfo info)
    {
        Protocol = HttpVersions.Protocol(info.HttpVersion);
        Scheme = info.IsTls != 0 ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
        Method = KnownNames.Method(info.Method.Span);
        Path = RequestPath.Decode(info.Path.Span);
        // "/a?" has an empty query that is still there: "?", as in Kestrel.
        QueryString = !info.Query.IsEmpty ? "?" + HttpText.Decode(info.Query.Span)
            : info.Target.Span.IndexOf((byte)'?') >= 0 ? "?" : string.Empty;
        RawTarget = HttpText.Decode(info.Target.Span);
        Headers = ReadHeaders(info.HeaderSpan, _server.Latin1RequestHeaders);
        _hasBody = info.HasBody != 0;

        RemoteIpAddress = ParseAddress(info.RemoteAddress.Span);
        RemotePort = info.RemotePort;
        LocalIpAddress = ParseAddress(info.LocalAddress.Span);
        LocalPort = info.LocalPort;

        // A request with a body is served as it is, never upgraded, as Kestrel
        // does: its body and a new protocol would both claim the bytes after it.
        // HTTP/2 has no Upgrade (RFC 9113 section 8.6), as in Kestrel.
        _isUpgradable = info.HttpVersion == HttpVersions.Http11 && !_hasBody && IsUpgradeRequest(Headers);
        // HTTP/2's way instead: an extended CONNECT (RFC 8441), as in Kestrel.
        _connectProtocol = info.HttpVersion == HttpVersions.Http2 ? _native.ConnectProtocol() : null;
        OfferVersionFeatures(info.HttpVersion);
        if (info.IsTls != 0)
            ReadTlsInfo();
    }

    private static HeaderDictionary ReadHeaders(ReadOnlySpan<AncmKv> lines, bool latin1)
    {
        var headers = new HeaderDictionary(lines.Length);
        foreach (ref readonly var line in lines)
        {
            var name = KnownNames.HeaderName(line.Name.Span);
            var value = HttpText.DecodeHeaderValue(line.Value.Span, latin1);
            // Repeated lines of one header become one multi-valued entry.
            headers[name] = headers.TryGetValue(name, out var existing)
                ? StringValues.Concat(existing, value)
                : new StringValues(value);
        }
        return headers;
    }

    private static IPAddress? ParseAddress(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty || text.Length > 64)
            return null;
        Span<char> chars = stackalloc char[text.Length];
        for (var k = 0; k < text.Length; k++)
            chars[k] = (char)text[k];
        // "[::1]" as some servers print IPv6 peers.
        if (chars.Length > 2 && chars[0] == '[' && chars[^1] == ']')
            chars = chars[1..^1];
        return IPAddress.TryParse(chars, out var address) ? address : null;
    }

    // ---------------------------------------------------------------- IHttpRequestFeature

    public string Protocol { get; set; } = HttpProtocol.Http11;

    public string Scheme { get; set; } = Uri.UriSchemeHttp;

    public string Method { get; set; } = HttpMethods.Get;

    public string PathBase { get; set; } = string.Empty;

    public string Path { get; set; } = "/";

    public string QueryString { get; set; } = string.Empty;

    public string RawTarget { get; set; } = "/";

    public IHeaderDictionary Headers { get; set; } = null!;

    Stream IHttpRequestFeature.Body
    {
        get => _requestBodyOverride ?? _requestBody;
        set => _requestBodyOverride = value;
    }

    private Stream? _requestBodyOverride;

    // ---------------------------------------------------------------- IHttpConnectionFeature

    public string ConnectionId
    {
        get => _connectionId ??= ConnectionIds.Next();
        set => _connectionId = value;
    }

    public IPAddress? RemoteIpAddress { get; set; }

    public IPAddress? LocalIpAddress { get; set; }

    public int RemotePort { get; set; }

    public int LocalPort { get; set; }

    // ---------------------------------------------------------------- body detection and limits

    public bool CanHaveBody => _hasBody;

    bool IHttpMaxRequestBodySizeFeature.IsReadOnly => BodySizeIsFixed;

    private bool BodySizeIsFixed => _bodyReadStarted || _upgradedStream is not null;

    public long? MaxRequestBodySize
    {
        get => _maxRequestBodySize;
        set
        {
            if (BodySizeIsFixed)
                throw new InvalidOperationException(
                    "The maximum request body size cannot be modified after the app has already started reading the request body.");
            if (value < 0)
                throw new ArgumentOutOfRangeException(nameof(value), "The value must be null or non-negative.");
            _maxRequestBodySize = value;
        }
    }

    public bool AllowSynchronousIO
    {
        get => _allowSynchronousIO;
        set => _allowSynchronousIO = value;
    }

    internal void ThrowIfSynchronousIODisallowed()
    {
        if (!_allowSynchronousIO)
            throw new InvalidOperationException(
                "Synchronous operations are disallowed. Use the asynchronous methods or set AllowSynchronousIO to true.");
    }

    // ---------------------------------------------------------------- reading the body

    /// <summary>The request body stream's read: native reads with the size limit applied.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<int> ReadBodyAsync(Memory<byte> destination, CancellationToken token)
    {
        if (_bodyError is not null)
            throw _bodyError;
        // As Kestrel and IIS: the app's own Abort() ends the body too.
        if (_aborted)
            throw new ConnectionAbortedException("The connection was aborted by the application.");
        if (!_bodyReadStarted)
            StartReadingBody();
        if (!_hasBody || _upgradedStream is not null)
        {
            OnEndOfBody();
            return 0;
        }
        _bodyReader ??= new NativeReader(_native, isRequestBody: true);

        var read = await _bodyReader.ReadAsync(destination, token, OwnAbortToken).ConfigureAwait(false);
        if (read == 0 && !destination.IsEmpty)
            OnEndOfBody();
        _bodyBytesRead += read;
        if (_maxRequestBodySize is long max && _bodyBytesRead > max)
        {
            // The body is cut off here: every later read fails the same way.
            _bodyError = RequestBodyTooLarge(max);
            throw _bodyError;
        }
        return read;
    }

    // A declared length over the limit fails before reading a byte. As in
    // Kestrel and IIS, the limit is fixed only once that check passed: an
    // app that catches the 413 may still raise the limit and read.
    private void StartReadingBody()
    {
        if (_hasBody && _maxRequestBodySize is long max && DeclaredLength() > max)
            throw RequestBodyTooLarge(max);
        _bodyReadStarted = true;
    }

    private long DeclaredLength()
    {
        var declared = Headers[HeaderNames.ContentLength];
        return declared.Count == 1 && long.TryParse(declared[0], out var length) ? length : -1;
    }

    private static BadHttpRequestException RequestBodyTooLarge(long max) =>
        new($"Request body too large. The max request body size is {max} bytes.", StatusCodes.Status413PayloadTooLarge);
}
