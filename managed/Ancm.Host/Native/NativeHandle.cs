// A native object the managed side calls into until it ends: a request
// (ended by complete() or abort()) or an upgraded stream (by stream_close).
// After the end the native object may be reused or freed, so every later call
// is refused here. A lock makes "check ended, then call" atomic against an end
// from another thread; the native functions only post to the connection's
// strand, so it is held for a moment.
namespace Ancm.Host.Native;

internal abstract unsafe class NativeHandle
{
    private bool _ended;

    protected NativeHandle(AncmRequestApi* api, nint handle)
    {
        Api = api;
        Handle = handle;
    }

    public AncmRequestApi* Api { get; }

    /// <summary>The ancm_request* or ancm_stream*.</summary>
    protected nint Handle { get; }

    /// <summary>Held around every "check ended, then call".</summary>
    protected object Gate { get; } = new();

    /// <summary>Whether the handle has ended; read it under Gate.</summary>
    protected bool Ended => _ended;

    public bool IsEnded
    {
        get { lock (Gate) return _ended; }
    }

    /// <summary>Starts read_body, write_body(_borrowed) or stream_read/write; false once ended.</summary>
    protected bool StartIo(
        delegate* unmanaged<nint, byte*, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, void> start,
        byte* data, nuint length, nint ctx)
    {
        lock (Gate)
        {
            if (_ended)
                return false;
            start(Handle, data, length, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    /// <summary>For an end call with arguments of its own (reset): under Gate, before the call.</summary>
    protected void MarkEnded() => _ended = true;

    /// <summary>complete(), abort() or stream_close(), once; false if it had ended already.</summary>
    protected bool End(delegate* unmanaged<nint, void> end)
    {
        lock (Gate)
        {
            if (_ended)
                return false;
            _ended = true;
            end(Handle);
            return true;
        }
    }
}
