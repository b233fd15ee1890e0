// Something the native side reads from and writes to asynchronously: a
// request (read_body/write_body/flush) or an upgraded stream. Each Start*
// returns false when the target has ended and must not be called any more
// (the native object may be gone), in which case no callback will come.
namespace Ancm.Host.Native;

internal unsafe interface INativeIoTarget
{
    bool StartRead(byte* buffer, nuint capacity, nint ctx);

    bool StartWrite(byte* data, nuint length, nint ctx);

    /// <summary>False when the target cannot write without copying.</summary>
    bool CanBorrow { get; }

    /// <summary>A write of bytes that stay pinned and unchanged until the callback.</summary>
    bool StartBorrowedWrite(byte* data, nuint length, nint ctx);

    bool StartFlush(nint ctx);
}
