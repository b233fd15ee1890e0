// An upgraded connection (ancm_stream): raw bytes both ways until closed.
// After stream_close the native object is gone, so later calls are no-ops.
namespace Ancm.Host.Native;

internal sealed unsafe class NativeStream : INativeIoTarget
{
    private readonly AncmRequestApi* _api;
    private readonly nint _stream;
    private readonly object _gate = new();
    private bool _closed;

    public NativeStream(AncmRequestApi* api, nint stream)
    {
        _api = api;
        _stream = stream;
    }

    public bool IsClosed
    {
        get { lock (_gate) return _closed; }
    }

    public bool StartRead(byte* buffer, nuint capacity, nint ctx)
    {
        lock (_gate)
        {
            if (_closed)
                return false;
            _api->StreamRead(_stream, buffer, capacity, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    public bool StartWrite(byte* data, nuint length, nint ctx)
    {
        lock (_gate)
        {
            if (_closed)
                return false;
            _api->StreamWrite(_stream, data, length, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    // A raw stream has no head to flush: writes go out as they are made.
    public bool StartFlush(nint ctx) => false;

    public bool CanBorrow => false;

    public bool StartBorrowedWrite(byte* data, nuint length, nint ctx) => false;

    public void Close()
    {
        lock (_gate)
        {
            if (_closed)
                return;
            _closed = true;
            _api->StreamClose(_stream);
        }
    }
}
