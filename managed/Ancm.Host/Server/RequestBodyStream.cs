// HttpRequest.Body: reads through the request context (size limit, native
// read_body). Synchronous reads only when AllowSynchronousIO says so.
using System;
using System.Buffers;
using System.Threading;
using System.Threading.Tasks;

namespace Ancm.Host.Server;

internal sealed class RequestBodyStream : UnseekableStream
{
    private readonly RequestContext _context;

    public RequestBodyStream(RequestContext context)
    {
        _context = context;
    }

    public override bool CanRead => true;
    public override bool CanWrite => false;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _context.ReadBodyAsync(buffer, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        _context.ThrowIfSynchronousIODisallowed();
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = _context.ReadBodyAsync(rented.AsMemory(0, buffer.Length), default).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override void Flush()
    {
    }
}
