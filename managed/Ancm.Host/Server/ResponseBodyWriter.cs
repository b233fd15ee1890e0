// HttpResponse.BodyWriter: bytes collect in one pooled buffer until FlushAsync
// (or the end of the response), then go to the native side in one write_body.
// Asking for memory starts the response, as in Kestrel, so HasStarted is true
// once the app has begun writing the body.
using System;
using System.Buffers;
using System.IO.Pipelines;
using System.Threading;
using System.Threading.Tasks;

namespace Ancm.Host.Server;

internal sealed class ResponseBodyWriter : PipeWriter
{
    private const int MinimumSize = 4096;

    private readonly RequestContext _context;
    private byte[]? _buffer;
    private int _buffered;
    private bool _completed;
    private volatile bool _cancelFlush;

    public ResponseBodyWriter(RequestContext context)
    {
        _context = context;
    }

    public int Buffered => _buffered;

    public ReadOnlyMemory<byte> BufferedMemory => _buffer.AsMemory(0, _buffered);

    /// <summary>After the native side took the bytes (it copies them): reuse the buffer.</summary>
    public void ClearBuffered() => _buffered = 0;

    public void DiscardBuffered() => _buffered = 0;

    public void ReleaseBuffer()
    {
        var buffer = _buffer;
        _buffer = null;
        _buffered = 0;
        if (buffer is not null)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    public bool TakeFlushCancellation()
    {
        var cancelled = _cancelFlush;
        _cancelFlush = false;
        return cancelled;
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _buffered;

    public override void Advance(int bytes)
    {
        if (bytes < 0 || _buffer is null || _buffered + bytes > _buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(bytes), "Advanced past the memory that was handed out.");
        // As Kestrel: bytes a response cannot carry are refused here, not at the flush.
        _context.VerifyBodyWrite(bytes);
        _buffered += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_buffered);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_buffered);
    }

    private void Reserve(int sizeHint)
    {
        if (_completed)
            throw new InvalidOperationException("The response body writer has been completed.");
        _context.EnsureResponseStarted();
        sizeHint = Math.Max(sizeHint, 1);
        if (_buffer is not null && _buffer.Length - _buffered >= sizeHint)
            return;
        var size = Math.Max(MinimumSize, Math.Max(_buffered + sizeHint, (_buffer?.Length ?? 0) * 2));
        var larger = ArrayPool<byte>.Shared.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _buffered).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = larger;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) =>
        _context.FlushResponseAsync(cancellationToken);

    // A flush in flight cannot be recalled from the native side; the next
    // FlushResult reports the cancellation.
    public override void CancelPendingFlush() => _cancelFlush = true;

    public override void Complete(Exception? exception = null)
    {
        _completed = true;
        if (exception is not null)
            _context.Abort();
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        _completed = true;
        if (exception is not null)
            _context.Abort();
        else
            await _context.CompleteAsync().ConfigureAwait(false);
    }
}
