// An exception that escapes Main before the server starts becomes the 500.30
// page (the worker stays up to serve it). Later ones end the process: the
// runtime aborts, so the reason is written to the host's log first.
using System;
using System.Threading;
using Ancm.Host.Native;

namespace Ancm.Host.Hosting;

internal static class UnhandledExceptionReporter
{
    private static int s_installed;

    public static void Install()
    {
        if (Interlocked.Exchange(ref s_installed, 1) != 0)
            return;
        AppDomain.CurrentDomain.UnhandledException += static (_, e) =>
        {
            // Before the server started (an exception out of Main), the host
            // shows it as 500.30; parking this thread keeps the worker alive
            // to serve that page instead of crashing into a restart loop.
            if (!NativeHost.ServerRegistered && NativeHost.ReportStartFailure(e.ExceptionObject.ToString() ?? "unknown exception"))
                Thread.Sleep(Timeout.Infinite);
            NativeHost.Log(AncmLogLevel.Error,
                "unhandled exception, the process is terminating: " + e.ExceptionObject);
        };
    }
}
