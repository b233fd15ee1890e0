// Writes to a native target (response body or upgraded stream). The native
// side copies the bytes before the call returns, so a write returns as soon as
// it is handed over; the next write (or flush) first waits for the previous
// one's callback. That keeps at most one write outstanding, so a slow client
// pushes back on the app, while the app prepares the next bytes meanwhile.
// A large write is not copied: the native side reads the caller's pinned
// memory, and the write returns once the socket took it (as Kestrel's flush
// waits for a large write to drain).
using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Ancm.Host.Native;

internal sealed class NativeWriter : NativeIoOperation
{
    /// <summary>Writes from this size on are borrowed, not copied.</summary>
    public const int BorrowFrom = 64 * 1024;

    private const string EndedMessage = "The response or stream has ended; it can no longer be written.";

    private readonly INativeIoTarget _target;

    public NativeWriter(INativeIoTarget target)
    {
        _target = target;
    }

    /// <summary>Waits for the previous write, then hands these bytes over.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken token, CancellationToken ownToken = default)
    {
        await WaitAsync(token, ownToken).ConfigureAwait(false);
        if (data.IsEmpty)
            return;
        if (data.Length >= BorrowFrom && _target.CanBorrow)
        {
            await WriteBorrowedAsync(data).ConfigureAwait(false);
            return;
        }
        Started(StartWrite(data.Span), EndedMessage);
    }

    // The native side reads the memory until its callback, which always comes
    // (the connection's I/O timeout bounds it), so the wait cannot be cancelled.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteBorrowedAsync(ReadOnlyMemory<byte> data)
    {
        using var pinned = data.Pin();
        Started(StartBorrowedWrite(pinned, data.Length), EndedMessage);
        await WaitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private unsafe bool StartBorrowedWrite(System.Buffers.MemoryHandle pinned, int length)
    {
        var ctx = Begin();
        return _target.StartBorrowedWrite((byte*)pinned.Pointer, (nuint)length, ctx);
    }

    /// <summary>Waits for the previous write, then asks the native side to send what it has.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask FlushAsync(CancellationToken token, CancellationToken ownToken = default)
    {
        await WaitAsync(token, ownToken).ConfigureAwait(false);
        var ctx = Begin();
        Started(_target.StartFlush(ctx), EndedMessage);
    }

    // Pinned only for the call: the native side copies before returning.
    private unsafe bool StartWrite(ReadOnlySpan<byte> data)
    {
        var ctx = Begin();
        fixed (byte* bytes = data)
            return _target.StartWrite(bytes, (nuint)data.Length, ctx);
    }

    /// <summary>Waits until the last write was sent (or failed: then throws).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WaitAsync(CancellationToken token, CancellationToken ownToken = default)
    {
        if (InFlight)
            await AwaitInFlightAsync(token, ownToken).ConfigureAwait(false);
    }
}
