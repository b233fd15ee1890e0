// IHttpResponseFeature and IHttpResponseBodyFeature. The head (status and
// headers) is handed to the native side with set_status/add_header when the
// response starts, which sends nothing yet: the first write or flush does. So a
// small response costs set_status, add_header per line, one write_body and
// complete, and the native side frames it with a Content-Length when the
// response completes before anything was sent.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IHttpResponseFeature, IHttpResponseBodyFeature
{
    private readonly ResponseBodyWriter _bodyWriter;
    private readonly ResponseBodyStream _responseBody;
    private Stream? _responseBodyOverride;
    private int _statusCode = StatusCodes.Status200OK;
    private string? _reasonPhrase;
    private IHeaderDictionary _responseHeaders = new HeaderDictionary();
    private Stack<KeyValuePair<Func<object, Task>, object>>? _onStarting;
    private Stack<KeyValuePair<Func<object, Task>, object>>? _onCompleted;
    private bool _starting;
    private bool _responseStarted;
    private bool _headSent;
    private bool _writeFailed;
    private long _bytesWritten;
    private long? _declaredLength;
    // An OnStarting callback threw: the response cannot start as the app set
    // it up; every later start fails and the app's answer becomes a 500.
    private Exception? _startFailure;

    // ---------------------------------------------------------------- IHttpResponseFeature

    public int StatusCode
    {
        get => _statusCode;
        set
        {
            ThrowIfResponseStarted(nameof(StatusCode));
            if (value < 100 || value > 999)
                throw new ArgumentOutOfRangeException(nameof(value), value, "A status code must be between 100 and 999.");
            _statusCode = value;
        }
    }

    public string? ReasonPhrase
    {
        get => _reasonPhrase;
        set
        {
            ThrowIfResponseStarted(nameof(ReasonPhrase));
            // Refused here, as IIS does, rather than failing the response later.
            ResponseHeadEncoder.ValidateReasonPhrase(value);
            _reasonPhrase = value;
        }
    }

    IHeaderDictionary IHttpResponseFeature.Headers
    {
        get => _responseHeaders;
        set => _responseHeaders = value;
    }

    Stream IHttpResponseFeature.Body
    {
        get => _responseBodyOverride ?? _responseBody;
        set => _responseBodyOverride = value;
    }

    public bool HasStarted => _responseStarted;

    public void OnStarting(Func<object, Task> callback, object state)
    {
        if (_responseStarted || _starting)
            throw new InvalidOperationException("OnStarting cannot be registered after the response has started.");
        (_onStarting ??= new()).Push(new(callback, state));
    }

    public void OnCompleted(Func<object, Task> callback, object state) =>
        (_onCompleted ??= new()).Push(new(callback, state));

    private void ThrowIfResponseStarted(string what)
    {
        if (_responseStarted)
            throw new InvalidOperationException($"{what} cannot be set because the response has already started.");
    }

    // ---------------------------------------------------------------- IHttpResponseBodyFeature

    Stream IHttpResponseBodyFeature.Stream => _responseBody;

    public PipeWriter Writer => _bodyWriter;

    // Nothing is buffered beyond an explicit flush, so there is nothing to turn off.
    public void DisableBuffering()
    {
    }

    public Task StartAsync(CancellationToken cancellationToken = default) =>
        _responseStarted || _starting ? Task.CompletedTask : StartResponseAsync();

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(_responseBody, path, offset, count, cancellationToken);

    public Task CompleteAsync() => CompleteResponseAsync();

    internal Task CompleteResponseBodyAsync() => CompleteResponseAsync();

    /// <summary>BodyWriter.Complete(exception): the body cannot be finished, so cut it short.</summary>
    internal void AbortFromWriter() => Abort();

    // ---------------------------------------------------------------- starting

    private async Task StartResponseAsync()
    {
        ThrowIfStartFailed();
        _starting = true;
        try
        {
            if (_onStarting is { } callbacks)
            {
                _onStarting = null;
                try
                {
                    // Last registered runs first, as in Kestrel.
                    while (callbacks.TryPop(out var entry))
                        await entry.Key(entry.Value).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _startFailure = e;
                    ReportApplicationError(e);
                }
                ThrowIfStartFailed();
            }
            CommitHead();
        }
        finally
        {
            _starting = false;
        }
    }

    // Kestrel's answer to a start after a failed OnStarting callback.
    private void ThrowIfStartFailed()
    {
        if (_startFailure is not null)
            throw new ObjectDisposedException(
                "The response has been aborted due to an unhandled application exception.", _startFailure);
    }

    /// <summary>For PipeWriter.GetMemory, which cannot await: as Kestrel does it.</summary>
    internal void EnsureResponseStarted()
    {
        if (!_responseStarted && !_starting)
            StartResponseAsync().GetAwaiter().GetResult();
    }

    // Validates everything first: set_status/add_header cannot be taken back,
    // and a rejected header must still leave room for a clean 500.
    private void CommitHead()
    {
        var reason = _reasonPhrase;
        if (string.IsNullOrEmpty(reason))
            reason = ReasonPhrases.GetReasonPhrase(_statusCode);
        ResponseHeadEncoder.Validate(reason, _responseHeaders);

        _responseStarted = true;
        _declaredLength = _responseHeaders.ContentLength;
        if (_responseHeaders is HeaderDictionary dictionary)
            dictionary.IsReadOnly = true;
        ResponseHeadEncoder.Send(_native, _statusCode, reason, _responseHeaders);
    }

    // ---------------------------------------------------------------- writing

    /// <summary>The PipeWriter's flush: start, hand buffered bytes over, or send the head.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<FlushResult> FlushResponseAsync(CancellationToken token)
    {
        // As Kestrel: a cancelled token (RequestAborted once the client left) fails
        // the call even though the bytes of a lost client are otherwise dropped.
        token.ThrowIfCancellationRequested();
        if (!_responseStarted && !_starting)
            await StartResponseAsync().ConfigureAwait(false);
        if (_bodyWriter.Buffered > 0)
        {
            await WriteNativeAsync(_bodyWriter.BufferedMemory, token).ConfigureAwait(false);
            _bodyWriter.ClearBuffered();
        }
        else if (!_headSent && !_writeFailed && !_native.IsEnded)
        {
            _headSent = true;
            try
            {
                await _writer.FlushAsync(token, OwnAbortToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                OnWriteFailed();
            }
        }
        return new FlushResult(_bodyWriter.TakeFlushCancellation(), isCompleted: false);
    }

    /// <summary>The response stream's write: keeps order with bytes buffered in the PipeWriter.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask WriteResponseStreamAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        if (!_responseStarted && !_starting)
            await StartResponseAsync().ConfigureAwait(false);
        if (_bodyWriter.Buffered > 0)
        {
            _bodyWriter.Write(data.Span);
            await FlushResponseAsync(token).ConfigureAwait(false);
            return;
        }
        VerifyBodyWrite(data.Length);
        await WriteNativeAsync(data, token).ConfigureAwait(false);
    }

    // A lost client does not fail the app's writes (as in Kestrel): they are
    // dropped and RequestAborted tells the app.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteNativeAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        if (data.IsEmpty)
            return;
        if (_writeFailed || _aborted)
            return;
        if (_native.IsEnded)
            throw new InvalidOperationException("The response has already completed.");
        _bytesWritten += data.Length;
        _headSent = true;
        try
        {
            await _writer.WriteAsync(data, token, OwnAbortToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            OnWriteFailed();
        }
    }

    /// <summary>
    /// As Kestrel, before bytes join the body: a 204, 205 or 304 has none (a
    /// HEAD response's is dropped), and no more than the Content-Length.
    /// Bytes the PipeWriter holds count as written already.
    /// </summary>
    internal void VerifyBodyWrite(int count)
    {
        if (count == 0 || !_responseStarted)
            return;
        if (_statusCode is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent
                or StatusCodes.Status304NotModified
            && !string.Equals(Method, HttpMethods.Head, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Writing to the response body is invalid for responses with status code {_statusCode}.");
        }
        var total = _bytesWritten + _bodyWriter.Buffered + count;
        if (_declaredLength is long declared && total > declared)
        {
            throw new InvalidOperationException(
                $"Response Content-Length mismatch: too many bytes written ({total} of {declared}).");
        }
    }

    private void OnWriteFailed()
    {
        _writeFailed = true;
        OnClientGone();
    }

    // ---------------------------------------------------------------- ending

    /// <summary>CompleteAsync and the normal end: start, send what is buffered, complete().</summary>
    private async Task CompleteResponseAsync()
    {
        if (_native.IsEnded)
            return;
        var declared = _responseHeaders.ContentLength;
        if (!_responseStarted && !_starting && EndsShort(declared, _bodyWriter.Buffered))
        {
            // Nothing went out yet: as Kestrel, a 500 replaces a response that
            // would end short of its Content-Length.
            var error = new InvalidOperationException(
                $"Response Content-Length mismatch: too few bytes written ({_bodyWriter.Buffered} of {declared}).");
            _server.LogError(error, "The response was replaced by a 500");
            PrepareErrorResponse(error);
        }
        if (!_responseStarted && !_starting)
            await StartOrReplaceWithErrorAsync().ConfigureAwait(false);
        if (_bodyWriter.Buffered > 0)
        {
            await WriteNativeAsync(_bodyWriter.BufferedMemory, default).ConfigureAwait(false);
            _bodyWriter.ClearBuffered();
        }
        if (IsShortOfDeclaredLength())
        {
            _server.LogError(new InvalidOperationException(
                $"Response Content-Length mismatch: too few bytes written ({_bytesWritten} of {_declaredLength})."),
                "The response was cut short");
            await CutShortAsync().ConfigureAwait(false);
            return;
        }
        // The last write may still be in flight: complete() queues behind it.
        _native.Complete();
    }

    // The app ended without starting the response: a head it cannot send (a
    // control character in a header value) or a failing OnStarting callback
    // gets a 500 while nothing went out, as in Kestrel, not a dropped connection.
    private async Task StartOrReplaceWithErrorAsync()
    {
        try
        {
            await StartResponseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (!_responseStarted)
        {
            _server.LogError(e, "The response was replaced by a 500");
            PrepareErrorResponse(e);
            // The OnStarting callbacks ran (or failed) already.
            CommitHead();
        }
    }

    /// <summary>
    /// Ends a response that cannot end well (the app failed after it started,
    /// or it is short of its Content-Length): what the app wrote still reaches
    /// the client, the head at least, then the connection is cut, as Kestrel
    /// does. The abort waits for the last write, which would otherwise be
    /// dropped with the connection.
    /// </summary>
    private async Task CutShortAsync()
    {
        try
        {
            if (_bodyWriter.Buffered > 0)
            {
                await WriteNativeAsync(_bodyWriter.BufferedMemory, default).ConfigureAwait(false);
                _bodyWriter.ClearBuffered();
            }
            else if (!_headSent && !_writeFailed && !_aborted && !_native.IsEnded)
            {
                _headSent = true;
                await _writer.FlushAsync(default).ConfigureAwait(false);
            }
            await _writer.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The client went away, or the request ended: nothing left to deliver.
        }
        _native.Abort();
    }

    private bool IsShortOfDeclaredLength() => EndsShort(_declaredLength, _bytesWritten);

    // A response that announces more body than it carries.
    private bool EndsShort(long? declared, long written)
    {
        if (declared is not long length || written >= length || _writeFailed)
            return false;
        // HEAD, 204 and 304 announce a length without sending a body. Methods are
        // case-sensitive: "head" is not HEAD to the native server, which sends its body.
        if (string.Equals(Method, HttpMethods.Head, StringComparison.Ordinal)
            || _statusCode == StatusCodes.Status204NoContent
            || _statusCode == StatusCodes.Status304NotModified || _statusCode < 200)
            return false;
        return true;
    }

    /// <summary>The app failed before the response started: a plain 500 (or the bad request's status).</summary>
    private void PrepareErrorResponse(Exception error)
    {
        _statusCode = error is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
        _reasonPhrase = null;
        _responseHeaders.Clear();
        _responseHeaders.ContentLength = 0;
        _bodyWriter.DiscardBuffered();
    }

    protected void ReportApplicationError(Exception error)
    {
        if (error is BadHttpRequestException bad)
            _server.Logger.LogBadRequest(bad);
        else
            _server.Logger.LogApplicationError(error, ConnectionId);
    }

    protected async Task FireOnCompletedAsync()
    {
        if (_onCompleted is not { } callbacks)
            return;
        _onCompleted = null;
        while (callbacks.TryPop(out var entry))
        {
            try
            {
                await entry.Key(entry.Value).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _server.Logger.LogCallbackError(e, "OnCompleted");
            }
        }
    }
}
