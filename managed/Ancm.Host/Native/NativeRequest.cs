// One native ancm_request, and the rule that keeps it safe: once complete() or
// abort() was called the native object may be reused or freed, so every later
// call becomes a no-op. A lock makes "check ended, then call" atomic against
// an Abort() from another thread; the native functions only post to the
// connection's strand, so it is held for a moment.
using System;

namespace Ancm.Host.Native;

internal sealed unsafe class NativeRequest : INativeIoTarget
{
    private readonly AncmRequestApi* _api;
    private readonly nint _request;
    private readonly object _gate = new();
    private bool _ended;

    public NativeRequest(AncmRequestApi* api, nint request)
    {
        _api = api;
        _request = request;
    }

    public AncmRequestApi* Api => _api;

    public bool IsEnded
    {
        get { lock (_gate) return _ended; }
    }

    /// <summary>request_info: spans valid until the request ends.</summary>
    public void GetInfo(AncmRequestInfo* info, AncmManagedHost* host)
    {
        lock (_gate)
        {
            if (_ended)
                throw new InvalidOperationException("The request has ended.");
            if (host->RequestInfo != null)
                host->RequestInfo(_request, info);
            else
                _api->RequestInfo(_request, info);
        }
    }

    public int SetStatus(int status, ReadOnlySpan<byte> reason)
    {
        lock (_gate)
        {
            if (_ended)
                return -1;
            fixed (byte* data = reason)
                return _api->SetStatus(_request, status, new AncmStr(data, (nuint)reason.Length));
        }
    }

    public int AddHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        lock (_gate)
        {
            if (_ended)
                return -1;
            fixed (byte* n = name)
            fixed (byte* v = value)
                return _api->AddHeader(_request, new AncmStr(n, (nuint)name.Length), new AncmStr(v, (nuint)value.Length));
        }
    }

    /// <summary>
    /// request_trailers: the trailer fields of a chunked body, once a read
    /// reported its end; valid until the request ends (empty if it has).
    /// </summary>
    public ReadOnlySpan<AncmKv> Trailers()
    {
        lock (_gate)
        {
            if (_ended || _api->RequestTrailers == null)
                return default;
            nuint count = 0;
            var trailers = _api->RequestTrailers(_request, &count);
            return count == 0 ? default : new ReadOnlySpan<AncmKv>(trailers, checked((int)count));
        }
    }

    public bool StartRead(byte* buffer, nuint capacity, nint ctx)
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _api->ReadBody(_request, buffer, capacity, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    public bool StartWrite(byte* data, nuint length, nint ctx)
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _api->WriteBody(_request, data, length, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    public bool CanBorrow => _api->WriteBodyBorrowed != null;

    public bool StartBorrowedWrite(byte* data, nuint length, nint ctx)
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _api->WriteBodyBorrowed(_request, data, length, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    public bool StartFlush(nint ctx)
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _api->Flush(_request, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    public bool OnDisconnect(delegate* unmanaged<nint, int, void> callback, nint ctx)
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _api->OnDisconnect(_request, callback, ctx);
            return true;
        }
    }

    public bool Upgrade(delegate* unmanaged<nint, nint, void> callback, nint ctx)
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _api->Upgrade(_request, callback, ctx);
            return true;
        }
    }

    /// <summary>Ends the response normally; false if it had already ended.</summary>
    public bool Complete()
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _ended = true;
            _api->Complete(_request);
            return true;
        }
    }

    /// <summary>Ends the request by closing the connection; false if it had already ended.</summary>
    public bool Abort()
    {
        lock (_gate)
        {
            if (_ended)
                return false;
            _ended = true;
            _api->Abort(_request);
            return true;
        }
    }
}
