// The connection after a 101 upgrade (WebSockets): a duplex stream over the
// native ancm_stream. Unlike response writes, failures here are the app's to
// see: a WebSocket must learn that its peer is gone.
using System;
using System.Threading;
using System.Threading.Tasks;
using Ancm.Host.Native;

namespace Ancm.Host.Server;

internal sealed class UpgradedStream : UnseekableStream
{
    private readonly NativeStream _native;
    private readonly NativeReader _reader;
    private readonly NativeWriter _writer;
    private int _disposed;

    public UpgradedStream(NativeStream native)
    {
        _native = native;
        _reader = new NativeReader(native);
        _writer = new NativeWriter(native);
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _reader.ReadAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _writer.WriteAsync(buffer, cancellationToken);

    /// <summary>Waits until the last write was handed to the socket.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _writer.WaitAsync(cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer, offset, count, default).GetAwaiter().GetResult();

    public override void Flush() => FlushAsync(default).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _ = CloseAfterLastWriteAsync();
        base.Dispose(disposing);
    }

    // A close right behind a write (a WebSocket close frame) must not cut that
    // write off, so the last write finishes first. Pending reads then end with
    // an error from the native side, which also releases their handle and buffer.
    private async Task CloseAfterLastWriteAsync()
    {
        try
        {
            await _writer.WaitAsync(default).ConfigureAwait(false);
        }
        catch
        {
            // The connection already failed: closing is all that is left.
        }
        _native.Close();
        _reader.Dispose();
        _writer.Dispose();
    }
}
