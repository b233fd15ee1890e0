// Read buffers the native side fills asynchronously must not move. Arrays on
// the pinned object heap never move, so a small pool of them avoids pinning
// handles per read and churning the POH per request.
using System;
using System.Collections.Concurrent;
using System.Threading;

namespace Ancm.Host.Native;

internal static class PinnedBufferPool
{
    public const int BufferSize = 32 * 1024;
    private const int MaxRetained = 256; // 8 MiB at most kept idle

    private static readonly ConcurrentQueue<byte[]> s_buffers = new();
    private static int s_count;

    public static byte[] Rent()
    {
        if (s_buffers.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref s_count);
            return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    }

    public static void Return(byte[] buffer)
    {
        if (Interlocked.Increment(ref s_count) <= MaxRetained)
            s_buffers.Enqueue(buffer);
        else
            Interlocked.Decrement(ref s_count);
    }
}
