// The .NET startup hook (STARTUP_HOOKS, set by libancm_inproc.so when
// handlerSettings callStartupHook is true): runs before the app's Main, in the
// global namespace as the runtime requires. Outside ancm-host it does nothing.
using Ancm.Host.Hosting;
using Ancm.Host.Native;

internal static class StartupHook
{
    public static void Initialize()
    {
        if (!NativeHost.IsPresent)
            return;
        UnhandledExceptionReporter.Install();
        HostBuildingObserver.Subscribe();
    }
}
