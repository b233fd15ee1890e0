// One reusable asynchronous native call (read_body, write_body, flush,
// stream_read, stream_write). The native side calls OnComplete on one of its
// I/O threads; we only record the result there and let the awaiting code go
// on in the thread pool (RunContinuationsAsynchronously), so a native thread
// never runs application code and never blocks. The reader and the writer
// share how a call in flight is awaited (and abandoned by a cancelled wait).
using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Ancm.Host.Native;

internal abstract class NativeIoOperation : IValueTaskSource<int>, IDisposable
{
    private ManualResetValueTaskSourceCore<int> _core;
    private GCHandle _self;
    private readonly object _gate = new();
    private bool _pending;
    private bool _disposed;

    protected NativeIoOperation()
    {
        _core.RunContinuationsAsynchronously = true;
        // A normal (not pinned) handle: its address is the ctx the native side
        // passes back, and it keeps this object alive while a call is pending.
        _self = GCHandle.Alloc(this);
    }

    /// <summary>The C completion function for every asynchronous native call.</summary>
    public static unsafe delegate* unmanaged<nint, int, nuint, void> Callback => &OnComplete;

    /// <summary>Arms the operation for one native call; returns the ctx to pass.</summary>
    protected nint Begin()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _pending = true;
        }
        _core.Reset();
        return GCHandle.ToIntPtr(_self);
    }

    /// <summary>Call when the native function could not even start the call.</summary>
    protected void Cancel()
    {
        lock (_gate) _pending = false;
    }

    /// <summary>The result of the call begun last: bytes, or an exception for status &lt; 0.</summary>
    private ValueTask<int> Completion => new(this, _core.Version);

    // ---------------------------------------------------------------- the call in flight

    // The call begun last until it is awaited to its end; as a Task once a
    // cancellable wait needed one (a ValueTask may be awaited only once).
    private bool _inFlight;
    private ValueTask<int> _inFlightValue;
    private Task<int>? _inFlightTask;

    /// <summary>A call was started and its result not awaited yet.</summary>
    protected bool InFlight => _inFlight;

    /// <summary>After Begin() and the native Start*: in flight, or throws when the target has ended.</summary>
    protected void Started(bool started, string endedMessage)
    {
        if (!started)
        {
            Cancel();
            throw new IOException(endedMessage);
        }
        _inFlight = true;
        _inFlightTask = null;
        _inFlightValue = Completion;
    }

    /// <summary>
    /// Awaits the call in flight. A cancelled wait leaves it in flight for the
    /// next call; a finished one (result or error) is done with.
    /// </summary>
    /// <param name="ownToken">
    /// A token the native side honours by itself (RequestAborted: an abort or a
    /// lost client fails the call), so waiting on it needs no extra task.
    /// </param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected async ValueTask<int> AwaitInFlightAsync(CancellationToken token, CancellationToken ownToken)
    {
        try
        {
            if (!token.CanBeCanceled || token == ownToken)
            {
                return _inFlightTask is null ? await _inFlightValue.ConfigureAwait(false)
                                             : await _inFlightTask.ConfigureAwait(false);
            }
            _inFlightTask ??= _inFlightValue.AsTask();
            return await _inFlightTask.WaitAsync(token).ConfigureAwait(false);
        }
        finally
        {
            if (_inFlightTask is null || _inFlightTask.IsCompleted)
                ClearInFlight();
        }
    }

    private void ClearInFlight()
    {
        _inFlight = false;
        _inFlightTask = null;
        _inFlightValue = default;
    }

    [UnmanagedCallersOnly]
    private static void OnComplete(nint ctx, int status, nuint bytes)
    {
        try
        {
            var operation = (NativeIoOperation)GCHandle.FromIntPtr(ctx).Target!;
            operation.Complete(status, bytes);
        }
        catch (Exception e)
        {
            NativeHost.Log(AncmLogLevel.Error, "I/O completion failed: " + e);
        }
    }

    private void Complete(int status, nuint bytes)
    {
        bool release;
        lock (_gate)
        {
            _pending = false;
            release = _disposed;
        }
        if (status < 0)
            _core.SetException(ToException(status));
        else
            _core.SetResult(checked((int)bytes));
        if (release)
            Release();
    }

    /// <summary>
    /// Frees the handle now, or when the pending call comes back: the native
    /// side may still write into our buffer or call us until then.
    /// </summary>
    public void Dispose()
    {
        bool release;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            release = !_pending;
        }
        if (release)
            Release();
    }

    private void Release()
    {
        _self.Free();
        OnReleased();
    }

    /// <summary>The exception for a failed call (status &lt; 0).</summary>
    protected virtual Exception ToException(int status) => NativeErrors.ToException(status);

    /// <summary>Runs once, when no native call can touch this object any more.</summary>
    protected virtual void OnReleased()
    {
    }

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token,
        ValueTaskSourceOnCompletedFlags flags) => _core.OnCompleted(continuation, state, token, flags);
}
