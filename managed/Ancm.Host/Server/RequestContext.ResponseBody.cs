// Writing and ending the response (IHttpResponseBodyFeature's work, for the
// PipeWriter and the Stream alike). The phase (ResponsePhase.cs) says what has
// happened: the head goes out with the first write or flush, a failed write
// means the client is gone, and the response ends once, completed or cut short.
using System;
using System.Buffers;
using System.IO;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext
{
    // ---------------------------------------------------------------- writing

    /// <summary>The PipeWriter's flush: start, hand buffered bytes over, or send the head.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<FlushResult> FlushResponseAsync(CancellationToken token)
    {
        // As Kestrel: a cancelled token (RequestAborted once the client left) fails
        // the call even though the bytes of a lost client are otherwise dropped.
        token.ThrowIfCancellationRequested();
        if (StartPending)
            await StartResponseAsync().ConfigureAwait(false);
        if (_bodyWriter.Buffered > 0)
        {
            await WriteNativeAsync(_bodyWriter.BufferedMemory, token).ConfigureAwait(false);
            _bodyWriter.ClearBuffered();
        }
        else if (_phase is not (ResponsePhase.HeadSent or ResponsePhase.WriteFailed) && !_native.IsEnded)
        {
            MoveTo(ResponsePhase.HeadSent);
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
        if (StartPending)
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
    // dropped and RequestAborted tells the app. Its cancellation is queued to
    // the thread pool, which a loop of dropped writes could starve (one CPU,
    // one pool thread): until it ran, a dropped write yields to it.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteNativeAsync(ReadOnlyMemory<byte> data, CancellationToken token)
    {
        if (data.IsEmpty)
            return;
        if (_phase == ResponsePhase.WriteFailed || _aborted)
        {
            if (AbortCancellationPending)
                await Task.Yield();
            return;
        }
        if (_native.IsEnded)
            throw new InvalidOperationException("The response has already completed.");
        _bytesWritten += data.Length;
        if (_phase != ResponsePhase.HeadSent)
            MoveTo(ResponsePhase.HeadSent);
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
        if (count == 0 || !HasStarted)
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
        MoveTo(ResponsePhase.WriteFailed);
        OnClientGone();
    }

    // ---------------------------------------------------------------- ending

    /// <summary>CompleteAsync and the normal end: start, send what is buffered, complete().</summary>
    private async Task CompleteResponseAsync()
    {
        if (_native.IsEnded)
            return;
        var declared = _responseHeaders.ContentLength;
        if (NotYetStarted && EndsShort(declared, _bodyWriter.Buffered))
        {
            // Nothing went out yet: as Kestrel, a 500 replaces a response that
            // would end short of its Content-Length.
            var error = new InvalidOperationException(
                $"Response Content-Length mismatch: too few bytes written ({_bodyWriter.Buffered} of {declared}).");
            _server.LogError(error, "The response was replaced by a 500");
            PrepareErrorResponse(error);
        }
        if (NotYetStarted)
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
        // Trailers follow the body; complete() queues behind the last write.
        SendTrailers();
        CompleteNative();
    }

    // The last write may still be in flight: complete() queues behind it.
    private void CompleteNative()
    {
        MoveTo(ResponsePhase.Completed);
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
        catch (Exception e) when (!HasStarted)
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
            else if (_phase == ResponsePhase.Started && !_aborted && !_native.IsEnded)
            {
                MoveTo(ResponsePhase.HeadSent);
                await _writer.FlushAsync(default).ConfigureAwait(false);
            }
            await _writer.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The client went away, or the request ended: nothing left to deliver.
        }
        MoveTo(ResponsePhase.CutShort);
        _native.Abort();
    }

    private bool IsShortOfDeclaredLength() => EndsShort(_declaredLength, _bytesWritten);

    // A response that announces more body than it carries.
    private bool EndsShort(long? declared, long written)
    {
        if (declared is not long length || written >= length || _phase == ResponsePhase.WriteFailed)
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
}
