// An upgraded connection (ancm_stream): raw bytes both ways until closed.
// After stream_close the native object is gone, so later calls are no-ops.
namespace Ancm.Host.Native;

internal sealed unsafe class NativeStream : NativeHandle, INativeIoTarget
{
    public NativeStream(AncmRequestApi* api, nint stream)
        : base(api, stream)
    {
    }

    public bool StartRead(byte* buffer, nuint capacity, nint ctx) => StartIo(Api->StreamRead, buffer, capacity, ctx);

    public bool StartWrite(byte* data, nuint length, nint ctx) => StartIo(Api->StreamWrite, data, length, ctx);

    // A raw stream has no head to flush: writes go out as they are made.
    public bool StartFlush(nint ctx) => false;

    public bool CanBorrow => false;

    public bool StartBorrowedWrite(byte* data, nuint length, nint ctx) => false;

    public void Close() => End(Api->StreamClose);
}
