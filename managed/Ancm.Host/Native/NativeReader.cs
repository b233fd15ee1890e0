// Reads from a native target (request body or upgraded stream) through our
// own pinned buffer. Reading straight into the caller's memory would save a
// copy, but a cancelled ReadAsync cannot stop the native read, which would
// then write into memory the caller already reused. With our buffer an
// abandoned read simply completes later and its bytes go to the next call.
using System;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace Ancm.Host.Native;

internal sealed class NativeReader : NativeIoOperation
{
    private readonly INativeIoTarget _target;
    private readonly bool _isRequestBody;
    private byte[]? _buffer;
    private int _offset;
    private int _count;
    private bool _ended;

    /// <param name="isRequestBody">
    /// A request body's reads can fail for the client's fault (bad framing, too
    /// large): those become BadHttpRequestException. An upgraded stream's cannot.
    /// </param>
    public NativeReader(INativeIoTarget target, bool isRequestBody = false)
    {
        _target = target;
        _isRequestBody = isRequestBody;
    }

    protected override Exception ToException(int status) =>
        _isRequestBody ? NativeErrors.ToBodyReadException(status) : base.ToException(status);

    /// <summary>
    /// Reads up to destination.Length bytes; 0 at the end. A zero-length
    /// destination waits until data is available without consuming it.
    /// </summary>
    /// <param name="ownToken">A token the native side honours by itself (see AwaitInFlightAsync).</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken token,
        CancellationToken ownToken = default)
    {
        if (_count > 0)
            return CopyOut(destination.Span);
        if (_ended)
            return 0;
        token.ThrowIfCancellationRequested();

        if (!InFlight)
            StartRead();
        var read = await AwaitInFlightAsync(token, ownToken).ConfigureAwait(false);
        if (read == 0)
        {
            _ended = true;
            return 0;
        }
        _offset = 0;
        _count = read;
        return CopyOut(destination.Span);
    }

    private unsafe void StartRead()
    {
        _buffer ??= PinnedBufferPool.Rent();
        var ctx = Begin();
        bool started;
        // The buffer lives on the pinned object heap: its address is stable.
        fixed (byte* data = _buffer)
            started = _target.StartRead(data, (nuint)_buffer.Length, ctx);
        Started(started, "The request or stream has ended; it can no longer be read.");
    }

    private int CopyOut(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _count);
        _buffer.AsSpan(_offset, n).CopyTo(destination);
        _offset += n;
        _count -= n;
        return n;
    }

    protected override void OnReleased()
    {
        var buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
            PinnedBufferPool.Return(buffer);
    }
}
