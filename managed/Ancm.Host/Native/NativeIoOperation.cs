// One reusable asynchronous native call (read_body, write_body, flush,
// stream_read, stream_write). The native side calls OnComplete on one of its
// I/O threads; we only record the result there and let the awaiting code go
// on in the thread pool (RunContinuationsAsynchronously), so a native thread
// never runs application code and never blocks.
using System;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace Ancm.Host.Native;

internal abstract unsafe class NativeIoOperation : IValueTaskSource<int>, IDisposable
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
    public static delegate* unmanaged<nint, int, nuint, void> Callback => &OnComplete;

    /// <summary>True while a native call has not called back yet.</summary>
    protected bool IsPending
    {
        get { lock (_gate) return _pending; }
    }

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
    protected ValueTask<int> Completion => new(this, _core.Version);

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
