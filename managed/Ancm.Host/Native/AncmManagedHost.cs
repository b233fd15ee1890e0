// Mirrors of ancm_managed_server and ancm_managed_host
// (inproc/include/ancm/managed_abi.h).
using System.Runtime.InteropServices;

namespace Ancm.Host.Native;

/// <summary>What the managed server registers; the host copies it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AncmManagedServer
{
    public delegate* unmanaged<nint, void> OnRequest;
    public delegate* unmanaged<void> OnShutdown;
}

/// <summary>The table libancm_inproc.so hands over through the ANCM_MANAGED_HOST property.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct AncmManagedHost
{
    public uint AbiVersion;
    public uint StructSize;
    public nint HostCtx;
    public AncmRequestApi* RequestApi;
    public delegate* unmanaged<nint, AncmRequestInfo*, void> RequestInfo;
    public delegate* unmanaged<nint, AncmManagedServer*, int> RegisterServer;
    public delegate* unmanaged<nint, void> Drained;
    public delegate* unmanaged<nint, int, byte*, nuint, void> Log;
    public delegate* unmanaged<nint, byte*, nuint, void> StartFailed;
    public ulong MaxRequestBodySize;
}
