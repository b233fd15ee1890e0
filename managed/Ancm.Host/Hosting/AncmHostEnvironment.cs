// Whether this process runs in-process under ancm-host.
using Ancm.Host.Native;

namespace Ancm.Host;

public static class AncmHostEnvironment
{
    /// <summary>
    /// True when libancm_inproc.so started this runtime: it sets the runtime
    /// property ANCM_MANAGED_HOST to the address of its native API table.
    /// </summary>
    public static bool IsRunningUnderAncmHost => NativeHost.IsPresent;
}
