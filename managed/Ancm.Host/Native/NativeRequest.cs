// One native ancm_request: the calls of the request API, each refused once
// complete() or abort() was called (NativeHandle says why).
using System;

namespace Ancm.Host.Native;

internal sealed unsafe class NativeRequest : NativeHandle, INativeIoTarget
{
    public NativeRequest(AncmRequestApi* api, nint request)
        : base(api, request)
    {
    }

    /// <summary>request_info: spans valid until the request ends.</summary>
    public void GetInfo(AncmRequestInfo* info, AncmManagedHost* host)
    {
        lock (Gate)
        {
            if (Ended)
                throw new InvalidOperationException("The request has ended.");
            if (host->RequestInfo != null)
                host->RequestInfo(Handle, info);
            else
                Api->RequestInfo(Handle, info);
        }
    }

    public int SetStatus(int status, ReadOnlySpan<byte> reason)
    {
        lock (Gate)
        {
            if (Ended)
                return -1;
            fixed (byte* data = reason)
                return Api->SetStatus(Handle, status, new AncmStr(data, (nuint)reason.Length));
        }
    }

    public int AddHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        lock (Gate)
        {
            if (Ended)
                return -1;
            fixed (byte* n = name)
            fixed (byte* v = value)
                return Api->AddHeader(Handle, new AncmStr(n, (nuint)name.Length), new AncmStr(v, (nuint)value.Length));
        }
    }

    /// <summary>add_trailer: 0, or a negative errno (-EINVAL: a field the server refuses as a trailer).</summary>
    public int AddTrailer(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        lock (Gate)
        {
            if (Ended)
                return -NativeErrors.ESTALE;
            if (Api->AddTrailer == null)
                return -NativeErrors.EINVAL;
            fixed (byte* n = name)
            fixed (byte* v = value)
                return Api->AddTrailer(Handle, new AncmStr(n, (nuint)name.Length), new AncmStr(v, (nuint)value.Length));
        }
    }

    /// <summary>
    /// tls_info: what the connection's TLS handshake agreed, copied out (the
    /// spans are only valid until the request ends); null over cleartext.
    /// </summary>
    public NativeTlsInfo? TlsInfo()
    {
        lock (Gate)
        {
            if (Ended || Api->TlsInfo == null)
                return null;
            AncmTlsInfo info;
            return Api->TlsInfo(Handle, &info) == 0 ? NativeTlsInfo.CopyOf(in info) : null;
        }
    }

    /// <summary>
    /// request_trailers: the trailer fields of a chunked body, once a read
    /// reported its end; valid until the request ends (empty if it has).
    /// </summary>
    public ReadOnlySpan<AncmKv> Trailers()
    {
        lock (Gate)
        {
            if (Ended || Api->RequestTrailers == null)
                return default;
            nuint count = 0;
            var trailers = Api->RequestTrailers(Handle, &count);
            return count == 0 ? default : new ReadOnlySpan<AncmKv>(trailers, checked((int)count));
        }
    }

    public bool StartRead(byte* buffer, nuint capacity, nint ctx) => StartIo(Api->ReadBody, buffer, capacity, ctx);

    public bool StartWrite(byte* data, nuint length, nint ctx) => StartIo(Api->WriteBody, data, length, ctx);

    public bool CanBorrow => Api->WriteBodyBorrowed != null;

    public bool StartBorrowedWrite(byte* data, nuint length, nint ctx) =>
        StartIo(Api->WriteBodyBorrowed, data, length, ctx);

    public bool StartFlush(nint ctx)
    {
        lock (Gate)
        {
            if (Ended)
                return false;
            Api->Flush(Handle, NativeIoOperation.Callback, ctx);
            return true;
        }
    }

    public bool OnDisconnect(delegate* unmanaged<nint, int, void> callback, nint ctx)
    {
        lock (Gate)
        {
            if (Ended)
                return false;
            Api->OnDisconnect(Handle, callback, ctx);
            return true;
        }
    }

    /// <summary>
    /// connect_protocol: the :protocol of an HTTP/2 extended CONNECT (RFC 8441),
    /// such as "websocket"; null for any other request.
    /// </summary>
    public string? ConnectProtocol()
    {
        lock (Gate)
        {
            if (Ended || Api->ConnectProtocol == null)
                return null;
            var protocol = Api->ConnectProtocol(Handle);
            return protocol.IsEmpty ? null : protocol.ToLatin1();
        }
    }

    public bool Upgrade(delegate* unmanaged<nint, nint, void> callback, nint ctx)
    {
        lock (Gate)
        {
            if (Ended)
                return false;
            Api->Upgrade(Handle, callback, ctx);
            return true;
        }
    }

    /// <summary>
    /// set_min_body_rate: the slowest the body may come from the next read on
    /// (0 bytes per second: no minimum). Ignored once the request ended.
    /// </summary>
    public void SetMinBodyRate(uint bytesPerSecond, uint graceMilliseconds)
    {
        lock (Gate)
        {
            if (!Ended && Api->SetMinBodyRate != null)
                Api->SetMinBodyRate(Handle, bytesPerSecond, graceMilliseconds);
        }
    }

    /// <summary>Ends the response normally; false if it had already ended.</summary>
    public bool Complete() => End(Api->Complete);

    /// <summary>Ends the request by closing the connection; false if it had already ended.</summary>
    public bool Abort() => End(Api->Abort);

    /// <summary>Ends the request with an HTTP/2 RST_STREAM (abort under HTTP/1.x); false if it had already ended.</summary>
    public bool Reset(uint errorCode)
    {
        lock (Gate)
        {
            if (Ended)
                return false;
            MarkEnded();
            if (Api->Reset != null)
                Api->Reset(Handle, errorCode);
            else
                Api->Abort(Handle);
            return true;
        }
    }
}
