// Mirror of ancm_request_api (abi/include/ancm/handler_abi.h): a table of C
// function pointers, declared in exactly the C field order. Opaque handles
// (ancm_request*, ancm_stream*) are nint; callbacks are C function pointers to
// our [UnmanagedCallersOnly] methods.
using System.Runtime.InteropServices;

namespace Ancm.Host.Native;

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AncmRequestApi
{
    public uint AbiVersion;
    public uint StructSize;

    public delegate* unmanaged<nint, AncmStr> Method;
    public delegate* unmanaged<nint, AncmStr> Target;
    public delegate* unmanaged<nint, AncmStr> Path;
    public delegate* unmanaged<nint, AncmStr> Query;
    public delegate* unmanaged<nint, int> HttpVersion;
    public delegate* unmanaged<nint, nuint> HeaderCount;
    public delegate* unmanaged<nint, AncmKv*> Headers;
    public delegate* unmanaged<nint, AncmStr> RemoteAddress;
    public delegate* unmanaged<nint, ushort> RemotePort;
    public delegate* unmanaged<nint, AncmStr> LocalAddress;
    public delegate* unmanaged<nint, ushort> LocalPort;
    public delegate* unmanaged<nint, int> IsTls;
    public delegate* unmanaged<nint, int> HasBody;

    // read_body(request, buf, cap, cb(ctx, status, bytes), ctx)
    public delegate* unmanaged<nint, byte*, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, void> ReadBody;

    // set_status(request, status, reason) / add_header(request, name, value)
    public delegate* unmanaged<nint, int, AncmStr, int> SetStatus;
    public delegate* unmanaged<nint, AncmStr, AncmStr, int> AddHeader;

    // write_body(request, data, len, cb, ctx): data is copied before return.
    public delegate* unmanaged<nint, byte*, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, void> WriteBody;
    public delegate* unmanaged<nint, delegate* unmanaged<nint, int, nuint, void>, nint, void> Flush;
    public delegate* unmanaged<nint, void> Complete;
    public delegate* unmanaged<nint, void> Abort;

    // on_disconnect(request, cb(ctx, client_gone), ctx): runs exactly once.
    public delegate* unmanaged<nint, delegate* unmanaged<nint, int, void>, nint, void> OnDisconnect;

    // upgrade(request, cb(ctx, stream), ctx) and the raw stream after it.
    public delegate* unmanaged<nint, delegate* unmanaged<nint, nint, void>, nint, void> Upgrade;
    public delegate* unmanaged<nint, byte*, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, void> StreamRead;
    public delegate* unmanaged<nint, byte*, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, void> StreamWrite;
    public delegate* unmanaged<nint, void> StreamClose;

    // request_info(request, out): everything of the request line, headers and peer.
    public delegate* unmanaged<nint, AncmRequestInfo*, void> RequestInfo;

    // connection_executor(request, boost_version): for Asio handlers only.
    public delegate* unmanaged<nint, uint, void*> ConnectionExecutor;

    // write_body_borrowed(request, data, len, cb, ctx): no copy; data stays valid until cb.
    public delegate* unmanaged<nint, byte*, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, void> WriteBodyBorrowed;

    // request_trailers(request, out count): a chunked body's trailers once a read reported its end.
    public delegate* unmanaged<nint, nuint*, AncmKv*> RequestTrailers;

    // connection_data(request, release) / set_connection_data(request, data, release):
    // the handler's per-connection slot. Not used by the managed server.
    public delegate* unmanaged<nint, delegate* unmanaged<nint, void>, nint> ConnectionData;
    public delegate* unmanaged<nint, nint, delegate* unmanaged<nint, void>, int> SetConnectionData;

    // add_trailer(request, name, value): a response trailer (HTTP/2, or a chunked HTTP/1.1 body).
    public delegate* unmanaged<nint, AncmStr, AncmStr, int> AddTrailer;

    // reset(request, error_code): ends the request with an HTTP/2 RST_STREAM (abort under HTTP/1.x).
    public delegate* unmanaged<nint, uint, void> Reset;

    // tls_info(request, out): 0 and the handshake's results over TLS; -ENOENT over cleartext.
    public delegate* unmanaged<nint, AncmTlsInfo*, int> TlsInfo;

    // connect_protocol(request): an HTTP/2 extended CONNECT's :protocol (RFC 8441); empty otherwise.
    public delegate* unmanaged<nint, AncmStr> ConnectProtocol;

    // write_body_from_pipe(request, pipe_fd, len, cb, ctx): a body piece spliced from a pipe
    // (cleartext HTTP/1.x). Not used by the managed server.
    public delegate* unmanaged<nint, int, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, int> WriteBodyFromPipe;

    // set_min_body_rate(request, bytes_per_second, grace_ms): the slowest the body may come
    // (IHttpMinRequestBodyDataRateFeature); 0 bytes per second turns the check off.
    public delegate* unmanaged<nint, uint, uint, int> SetMinBodyRate;

    // read_body_to_pipe(request, pipe_fd, max, cb, ctx): body bytes spliced into a pipe
    // (cleartext HTTP/1.x, Content-Length). Not used by the managed server.
    public delegate* unmanaged<nint, int, nuint, delegate* unmanaged<nint, int, nuint, void>, nint, int> ReadBodyToPipe;
}
