// Negative errno-style statuses from the native side, as the exceptions
// ASP.NET Core code expects from a server (Kestrel throws the same types).
using System;
using System.IO;
using Microsoft.AspNetCore.Connections;

namespace Ancm.Host.Native;

internal static class NativeErrors
{
    // Linux errno values: this host only runs on Linux.
    private const int EPIPE = 32;
    private const int ECONNABORTED = 103;
    private const int ECONNRESET = 104;
    private const int ENOTCONN = 107;
    private const int ESHUTDOWN = 108;
    private const int ECANCELED = 125;

    public static Exception ToException(int status) => -status switch
    {
        EPIPE or ECONNABORTED or ECONNRESET or ENOTCONN or ESHUTDOWN =>
            new ConnectionResetException($"The client has disconnected (errno {-status}).",
                new IOException($"ancm-host I/O error {status}")),
        ECANCELED => new ConnectionAbortedException("The connection was aborted."),
        _ => new IOException($"ancm-host I/O failed with errno {-status}."),
    };
}
