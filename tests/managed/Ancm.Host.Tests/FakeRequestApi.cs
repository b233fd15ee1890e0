using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Ancm.Host;
using Ancm.Host.Native;
using Ancm.Host.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

// A stand-in for the native request table: one request at a time, whose
// version the test chooses, and every call the managed server makes on it
// recorded as a line ("status 200", "body hello", "trailer a: b", "complete").
// I/O callbacks are answered from the thread pool, as the server answers from
// its strand, never inside the call.
static unsafe class FakeRequestApi
{
    public static readonly AncmRequestApi* Table = CreateTable();
    public static readonly AncmManagedHost* Host = CreateHost();

    private static readonly byte* s_method = Utf8("POST");
    private static readonly byte* s_target = Utf8("/greet.Greeter/SayHello");
    private static readonly byte* s_address = Utf8("127.0.0.1");

    private static int s_version = 11;
    // Over TLS when set: what tls_info reports (protocol, cipher, SNI, the client's DER).
    private static (AncmStr Protocol, AncmStr Cipher, AncmStr ServerName, nint Certificate, int CertificateLength)? s_tls;
    private static ConcurrentQueue<string> s_calls = new();
    private static TaskCompletionSource s_ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static nint s_disconnect;
    // An HTTP/2 extended CONNECT's :protocol when set: what connect_protocol answers.
    private static AncmStr s_connectProtocol;
    private static nint s_disconnectCtx;

    /// <summary>Starts a request of this HTTP version (10, 11, 20); the calls recorded are its.</summary>
    public static void NewRequest(int httpVersion) => NewRequest(httpVersion, tls: null);

    /// <summary>A request over TLS: tls_info answers these (the client certificate may be null).</summary>
    public static void NewRequest(int httpVersion, (string Protocol, string Cipher, string ServerName, byte[]? Certificate)? tls)
    {
        s_tls = tls is { } t
            ? (Str(t.Protocol), Str(t.Cipher), Str(t.ServerName),
               t.Certificate is null ? 0 : (nint)Bytes(t.Certificate), t.Certificate?.Length ?? 0)
            : null;
        s_version = httpVersion;
        s_connectProtocol = default;
        s_calls = new ConcurrentQueue<string>();
        s_ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        s_disconnect = 0;
    }

    /// <summary>An HTTP/2 extended CONNECT (RFC 8441) for this :protocol.</summary>
    public static void NewExtendedConnect(string protocol)
    {
        NewRequest(20);
        s_connectProtocol = Str(protocol);
    }

    /// <summary>A managed server over this table, serving app.</summary>
    public static ServerCore<HttpContext> CreateServer(IHttpApplication<HttpContext> app) =>
        new(Host, app, new AncmServerOptions { MaxRequestBodySize = null }, NullLogger.Instance);

    public static IReadOnlyList<string> Calls => s_calls.ToArray();

    /// <summary>complete(), abort() or reset() came.</summary>
    public static Task Ended => s_ended.Task;

    private static AncmRequestApi* CreateTable()
    {
        var api = (AncmRequestApi*)NativeMemory.AllocZeroed((nuint)sizeof(AncmRequestApi));
        api->AbiVersion = 3;
        api->StructSize = (uint)sizeof(AncmRequestApi);
        api->RequestInfo = &RequestInfo;
        api->ReadBody = &ReadBody;
        api->SetStatus = &SetStatus;
        api->AddHeader = &AddHeader;
        api->WriteBody = &WriteBody;
        api->Flush = &Flush;
        api->Complete = &Complete;
        api->Abort = &Abort;
        api->OnDisconnect = &OnDisconnect;
        api->RequestTrailers = &RequestTrailers;
        api->AddTrailer = &AddTrailer;
        api->Reset = &Reset;
        api->TlsInfo = &TlsInfo;
        api->ConnectProtocol = &ConnectProtocol;
        return api;
    }

    private static AncmManagedHost* CreateHost()
    {
        var host = (AncmManagedHost*)NativeMemory.AllocZeroed((nuint)sizeof(AncmManagedHost));
        host->StructSize = (uint)sizeof(AncmManagedHost);
        host->RequestApi = Table;
        return host;
    }

    // Kept for the process's life, as the native spans are for the request's.
    private static byte* Utf8(string text) => Bytes(Encoding.UTF8.GetBytes(text));

    private static byte* Bytes(byte[] bytes)
    {
        var memory = (byte*)NativeMemory.Alloc((nuint)Math.Max(bytes.Length, 1));
        bytes.CopyTo(new Span<byte>(memory, bytes.Length));
        return memory;
    }

    private static AncmStr Str(string text) => new(Utf8(text), (nuint)Encoding.UTF8.GetByteCount(text));


    private static string Text(AncmStr text) => Encoding.UTF8.GetString(text.Span);

    private static void Answer(delegate* unmanaged<nint, int, nuint, void> callback, nint ctx, nuint bytes)
    {
        var fn = (nint)callback;
        ThreadPool.UnsafeQueueUserWorkItem(_ => ((delegate* unmanaged<nint, int, nuint, void>)fn)(ctx, 0, bytes), null);
    }

    private static void End(string call)
    {
        s_calls.Enqueue(call);
        if (s_disconnect != 0)
            ((delegate* unmanaged<nint, int, void>)s_disconnect)(s_disconnectCtx, 0);
        s_ended.TrySetResult();
    }

    [UnmanagedCallersOnly]
    private static void RequestInfo(nint request, AncmRequestInfo* info)
    {
        *info = default;
        info->Method = new AncmStr(s_method, 4);
        info->Target = new AncmStr(s_target, 23);
        info->Path = new AncmStr(s_target, 23);
        info->RemoteAddress = new AncmStr(s_address, 9);
        info->LocalAddress = new AncmStr(s_address, 9);
        info->HttpVersion = s_version;
        info->IsTls = s_tls is null ? 0 : 1;
    }

    [UnmanagedCallersOnly]
    private static AncmStr ConnectProtocol(nint request) => s_connectProtocol;

    [UnmanagedCallersOnly]
    private static void ReadBody(nint request, byte* buffer, nuint capacity,
        delegate* unmanaged<nint, int, nuint, void> callback, nint ctx) => Answer(callback, ctx, 0);

    [UnmanagedCallersOnly]
    private static int SetStatus(nint request, int status, AncmStr reason)
    {
        s_calls.Enqueue($"status {status}");
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int AddHeader(nint request, AncmStr name, AncmStr value)
    {
        s_calls.Enqueue($"header {Text(name)}: {Text(value)}");
        return 0;
    }

    [UnmanagedCallersOnly]
    private static void WriteBody(nint request, byte* data, nuint length,
        delegate* unmanaged<nint, int, nuint, void> callback, nint ctx)
    {
        s_calls.Enqueue("body " + Encoding.UTF8.GetString(new ReadOnlySpan<byte>(data, (int)length)));
        Answer(callback, ctx, length);
    }

    [UnmanagedCallersOnly]
    private static void Flush(nint request, delegate* unmanaged<nint, int, nuint, void> callback, nint ctx)
    {
        s_calls.Enqueue("flush");
        if (callback != null)
            Answer(callback, ctx, 0);
    }

    [UnmanagedCallersOnly]
    private static void Complete(nint request) => End("complete");

    [UnmanagedCallersOnly]
    private static void Abort(nint request) => End("abort");

    [UnmanagedCallersOnly]
    private static void Reset(nint request, uint errorCode) => End($"reset {errorCode}");

    [UnmanagedCallersOnly]
    private static void OnDisconnect(nint request, delegate* unmanaged<nint, int, void> callback, nint ctx)
    {
        s_disconnect = (nint)callback;
        s_disconnectCtx = ctx;
    }

    [UnmanagedCallersOnly]
    private static AncmKv* RequestTrailers(nint request, nuint* count)
    {
        *count = 0;
        return null;
    }

    [UnmanagedCallersOnly]
    private static int AddTrailer(nint request, AncmStr name, AncmStr value)
    {
        s_calls.Enqueue($"trailer {Text(name)}: {Text(value)}");
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int TlsInfo(nint request, AncmTlsInfo* info)
    {
        *info = default;
        if (s_tls is not { } tls)
            return -2; // -ENOENT: cleartext
        info->Protocol = tls.Protocol;
        info->Cipher = tls.Cipher;
        info->ServerName = tls.ServerName;
        info->ClientCertificate = (byte*)tls.Certificate;
        info->ClientCertificateLen = (nuint)tls.CertificateLength;
        return 0;
    }
}
