// IHttpRequestLifetimeFeature: RequestAborted fires when the client goes away
// (native on_disconnect with client_gone = 1, or a failed write) or the app
// calls Abort(). Cancellation runs user callbacks, so it is never run on a
// native thread or inline in the caller: it is queued to the thread pool.
using System;
using System.Threading;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http.Features;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IHttpRequestLifetimeFeature
{
    private readonly object _abortGate = new();
    private CancellationTokenSource? _abortSource;
    private CancellationToken? _requestAbortedOverride;
    private bool _abortSignalled;
    private volatile bool _aborted;

    public CancellationToken RequestAborted
    {
        get
        {
            if (_requestAbortedOverride is { } token)
                return token;
            lock (_abortGate)
            {
                if (_abortSource is null)
                {
                    if (_abortSignalled)
                        return new CancellationToken(canceled: true);
                    _abortSource = new CancellationTokenSource();
                    WatchForDisconnect();
                }
                return _abortSource.Token;
            }
        }
        set => _requestAbortedOverride = value;
    }

    /// <summary>The client went away or the app called Abort().</summary>
    private bool AbortSignalled
    {
        get
        {
            lock (_abortGate)
                return _abortSignalled;
        }
    }

    /// <summary>RequestAborted's source is to be cancelled, and that has not run yet.</summary>
    private bool AbortCancellationPending
    {
        get
        {
            lock (_abortGate)
                return _abortSignalled && _abortSource is { IsCancellationRequested: false };
        }
    }

    /// <summary>Our own RequestAborted: the native side fails pending I/O when it fires.</summary>
    private CancellationToken OwnAbortToken
    {
        get
        {
            lock (_abortGate)
                return _abortSource?.Token ?? CancellationToken.None;
        }
    }

    public void Abort()
    {
        _aborted = true;
        _native.Abort();
        _upgradedStream?.Dispose();
        SignalAborted();
    }

    /// <summary>From the native disconnect callback or a failed write: any thread.</summary>
    private void OnClientGone() => SignalAborted();

    private void SignalAborted()
    {
        lock (_abortGate)
        {
            if (_abortSignalled)
                return;
            _abortSignalled = true;
            if (_abortSource is null)
                return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(static context => context.CancelAbortSource(), this, preferLocal: false);
    }

    private void CancelAbortSource()
    {
        try
        {
            _abortSource?.Cancel();
        }
        catch (Exception e)
        {
            _server.Logger.LogCallbackError(e, "RequestAborted");
            NativeHost.Log(AncmLogLevel.Warning, "A RequestAborted callback failed: " + e.Message);
        }
    }
}
