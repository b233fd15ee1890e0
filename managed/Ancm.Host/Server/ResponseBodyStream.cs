// HttpResponse.Body: each write goes to the native side at once (after any
// bytes still buffered in the PipeWriter, to keep their order).
using System;
using System.Threading;
using System.Threading.Tasks;

namespace Ancm.Host.Server;

internal sealed class ResponseBodyStream : UnseekableStream
{
    private readonly RequestContext _context;

    public ResponseBodyStream(RequestContext context)
    {
        _context = context;
    }

    public override bool CanRead => false;
    public override bool CanWrite => true;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _context.WriteResponseStreamAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _context.ThrowIfSynchronousIODisallowed();
        // A span cannot cross an await; the copy is small next to blocking a thread.
        _context.WriteResponseStreamAsync(buffer.ToArray(), default).AsTask().GetAwaiter().GetResult();
    }

    public override async Task FlushAsync(CancellationToken cancellationToken) =>
        await _context.FlushResponseAsync(cancellationToken).ConfigureAwait(false);

    // A synchronous flush is synchronous I/O: refused unless allowed, as
    // Kestrel and IIS refuse it (InvalidOperationException).
    public override void Flush()
    {
        _context.ThrowIfSynchronousIODisallowed();
        _context.FlushResponseAsync(default).AsTask().GetAwaiter().GetResult();
    }
}
