// The two callbacks libancm_inproc.so calls on the registered server:
// on_request (a native I/O thread; must only queue) and on_shutdown. There is
// one server per process (register_server refuses a second), so the running
// one is a static.
using System;
using System.Runtime.InteropServices;
using Ancm.Host.Native;

namespace Ancm.Host.Server;

internal static unsafe class ServerCallbacks
{
    private static volatile ServerCore? s_server;
    private static volatile Action? s_onShutdown;
    private static readonly object s_gate = new();

    public static AncmManagedServer Table => new()
    {
        OnRequest = &OnRequest,
        OnShutdown = &OnShutdown,
    };

    /// <summary>Installs the running server; false when another already runs.</summary>
    public static bool TryInstall(ServerCore server, Action onShutdown)
    {
        lock (s_gate)
        {
            if (s_server is not null)
                return false;
            s_server = server;
            s_onShutdown = onShutdown;
            return true;
        }
    }

    public static void Uninstall(ServerCore server)
    {
        lock (s_gate)
        {
            if (s_server == server)
            {
                s_server = null;
                s_onShutdown = null;
            }
        }
    }

    [UnmanagedCallersOnly]
    private static void OnRequest(nint request)
    {
        try
        {
            var server = s_server;
            if (server is not null)
            {
                server.Enqueue(request);
                return;
            }
            RejectWithoutServer(request);
        }
        catch (Exception e)
        {
            NativeHost.Log(AncmLogLevel.Error, "on_request failed: " + e);
            try
            {
                NativeHost.Api->Abort(request);
            }
            catch
            {
                // Nothing more can be done for this request.
            }
        }
    }

    // The server was disposed while the host still sent a request: 503.
    private static void RejectWithoutServer(nint request)
    {
        var api = NativeHost.Api;
        var native = new NativeRequest(api, request);
        native.SetStatus(503, "Service Unavailable"u8);
        native.AddHeader("Content-Length"u8, "0"u8);
        native.Complete();
    }

    [UnmanagedCallersOnly]
    private static void OnShutdown()
    {
        try
        {
            var onShutdown = s_onShutdown;
            if (onShutdown is null)
            {
                NativeHost.Host->Drained(NativeHost.Host->HostCtx);
                return;
            }
            onShutdown();
        }
        catch (Exception e)
        {
            NativeHost.Log(AncmLogLevel.Error, "on_shutdown failed: " + e);
        }
    }
}
