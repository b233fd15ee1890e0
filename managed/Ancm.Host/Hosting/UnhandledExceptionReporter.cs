// An exception that escapes Main (or any thread) ends the process before the
// host can learn why: the runtime aborts. Writing it to the host's log first
// lets the host show the reason (500.30 detail, its debug log) after the crash.
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
            NativeHost.Log(AncmLogLevel.Error,
                "unhandled exception, the process is terminating: " + e.ExceptionObject);
    }
}
