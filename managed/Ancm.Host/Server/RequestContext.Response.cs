// IHttpResponseFeature and IHttpResponseBodyFeature. The head (status and
// headers) is handed to the native side with set_status/add_header when the
// response starts, which sends nothing yet: the first write or flush does. So a
// small response costs set_status, add_header per line, one write_body and
// complete, and the native side frames it with a Content-Length when the
// response completes before anything was sent.
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

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
    private ResponsePhase _phase = ResponsePhase.NotStarted;
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

    public bool HasStarted => ResponsePhases.HasStarted(_phase);

    public void OnStarting(Func<object, Task> callback, object state)
    {
        if (!NotYetStarted)
            throw new InvalidOperationException("OnStarting cannot be registered after the response has started.");
        (_onStarting ??= new()).Push(new(callback, state));
    }

    public void OnCompleted(Func<object, Task> callback, object state) =>
        (_onCompleted ??= new()).Push(new(callback, state));

    private void ThrowIfResponseStarted(string what)
    {
        if (HasStarted)
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
        StartPending ? StartResponseAsync() : Task.CompletedTask;

    public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
        SendFileFallback.SendFileAsync(_responseBody, path, offset, count, cancellationToken);

    public Task CompleteAsync() => CompleteResponseAsync();

    // ---------------------------------------------------------------- phases

    /// <summary>Every phase change goes through here: an illegal one is a server bug and throws.</summary>
    private void MoveTo(ResponsePhase next)
    {
        ResponsePhases.ThrowIfIllegal(_phase, next);
        _phase = next;
    }

    /// <summary>Neither started nor starting: OnStarting callbacks may still be added.</summary>
    private bool NotYetStarted => _phase is ResponsePhase.NotStarted or ResponsePhase.StartFailed;

    /// <summary>The next write or flush starts the response: also from an OnStarting callback.</summary>
    private bool StartPending => NotYetStarted || _phase == ResponsePhase.Starting;

    // ---------------------------------------------------------------- starting

    // Also from inside an OnStarting callback that writes or flushes (phase
    // Starting): as in Kestrel, that nested start runs the callbacks still
    // waiting and commits the head, and the outer start then finds it done.
    private async Task StartResponseAsync()
    {
        ThrowIfStartFailed();
        var nested = _phase == ResponsePhase.Starting;
        if (!nested)
            MoveTo(ResponsePhase.Starting);
        try
        {
            await RunOnStartingAsync().ConfigureAwait(false);
            if (_phase == ResponsePhase.Starting)
                CommitHead();
        }
        catch
        {
            // The head was refused before anything was committed; a nested
            // start leaves that to the outer one, whose callback failed.
            if (_phase == ResponsePhase.Starting && !nested)
                MoveTo(ResponsePhase.NotStarted);
            throw;
        }
    }

    private async Task RunOnStartingAsync()
    {
        try
        {
            // Last registered runs first, as in Kestrel. Popped from the field,
            // so a nested start runs only those not yet run.
            while (_onStarting is { } callbacks && callbacks.TryPop(out var entry))
                await entry.Key(entry.Value).ConfigureAwait(false);
        }
        catch (Exception e) when (_phase == ResponsePhase.Starting)
        {
            _startFailure = e;
            MoveTo(ResponsePhase.StartFailed);
            ReportApplicationError(e);
        }
        ThrowIfStartFailed();
    }

    // Kestrel's answer to a start after a failed OnStarting callback.
    private void ThrowIfStartFailed()
    {
        if (_phase == ResponsePhase.StartFailed)
            throw new ObjectDisposedException(
                "The response has been aborted due to an unhandled application exception.", _startFailure);
    }

    /// <summary>For PipeWriter.GetMemory, which cannot await: as Kestrel does it.</summary>
    internal void EnsureResponseStarted()
    {
        if (StartPending)
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

        MoveTo(ResponsePhase.Started);
        _declaredLength = _responseHeaders.ContentLength;
        if (_responseHeaders is HeaderDictionary dictionary)
            dictionary.IsReadOnly = true;
        ResponseHeadEncoder.Send(_native, _statusCode, reason, _responseHeaders);
    }


    // As Kestrel: a cancellation or I/O failure once the client left (or the
    // app aborted) is the request's end, not the app's fault; it is logged at
    // Debug, without the stack trace an application error gets.
    protected void ReportApplicationError(Exception error)
    {
        if (error is BadHttpRequestException bad)
            _server.Logger.LogBadRequest(bad);
        else if (error is OperationCanceledException or IOException && AbortSignalled)
            _server.Logger.LogRequestAborted(ConnectionId);
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
