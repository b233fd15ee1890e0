// Finds the native host table that libancm_inproc.so publishes as the runtime
// property ANCM_MANAGED_HOST and checks that both ABI versions are ours.
using System;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ancm.Host.Native;

internal static unsafe class NativeHost
{
    public const string PropertyName = "ANCM_MANAGED_HOST";
    public const uint ManagedAbiVersion = 3;
    public const uint HandlerAbiVersion = 3;

    private static readonly object s_lock = new();
    private static bool s_resolved;
    private static AncmManagedHost* s_host;
    private static string? s_error;

    /// <summary>True when this process was started by ancm-host in-process.</summary>
    public static bool IsPresent => AppContext.GetData(PropertyName) is not null;

    /// <summary>The host table; throws when absent or of another ABI version.</summary>
    public static AncmManagedHost* Host
    {
        get
        {
            var host = TryGetHost(out var error);
            if (host == null)
                throw new InvalidOperationException(error);
            return host;
        }
    }

    public static AncmRequestApi* Api => Host->RequestApi;

    public static AncmManagedHost* TryGetHost(out string? error)
    {
        lock (s_lock)
        {
            if (!s_resolved)
            {
                s_host = Resolve(out s_error);
                s_resolved = true;
            }
            error = s_error;
            return s_host;
        }
    }

    private static AncmManagedHost* Resolve(out string? error)
    {
        var value = AppContext.GetData(PropertyName) as string;
        if (string.IsNullOrEmpty(value))
        {
            error = $"Not running under ancm-host: the runtime property {PropertyName} is not set.";
            return null;
        }
        if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var address) || address == 0)
        {
            error = $"The runtime property {PropertyName} is not a pointer: '{value}'.";
            return null;
        }

        var host = (AncmManagedHost*)(nint)address;
        if (host->AbiVersion != ManagedAbiVersion)
        {
            error = $"ancm-host managed ABI version {host->AbiVersion}, Ancm.Host.dll expects {ManagedAbiVersion}.";
            return null;
        }
        // Every field of the C# mirrors is read or called: the tables must hold them all.
        if (host->StructSize < (uint)sizeof(AncmManagedHost))
        {
            error = $"ancm-host managed host table has {host->StructSize} bytes, Ancm.Host.dll needs {sizeof(AncmManagedHost)}: the host is older than Ancm.Host.dll.";
            return null;
        }
        if (host->RequestApi == null || host->RequestApi->AbiVersion != HandlerAbiVersion)
        {
            var found = host->RequestApi == null ? "none" : host->RequestApi->AbiVersion.ToString(CultureInfo.InvariantCulture);
            error = $"ancm-host request API version {found}, Ancm.Host.dll expects {HandlerAbiVersion}.";
            return null;
        }
        if (host->RequestApi->StructSize < (uint)sizeof(AncmRequestApi))
        {
            error = $"ancm-host request API table has {host->RequestApi->StructSize} bytes, Ancm.Host.dll needs {sizeof(AncmRequestApi)}: the host is older than Ancm.Host.dll.";
            return null;
        }
        error = null;
        return host;
    }

    /// <summary>IIS's default maxAllowedContentLength, when there is no host to ask.</summary>
    public const long DefaultMaxRequestBodySize = 30_000_000;

    /// <summary>
    /// web.config's requestLimits maxAllowedContentLength, which the host
    /// enforces before a request gets here; the default outside ancm-host.
    /// </summary>
    public static long MaxAllowedContentLength
    {
        get
        {
            var host = TryGetHost(out _);
            return host == null ? DefaultMaxRequestBodySize : (long)host->MaxRequestBodySize;
        }
    }

    /// <summary>
    /// The minimum body rate the host starts every request with
    /// (ANCM_DEFAULT_MIN_BODY_RATE and ..._GRACE_MS in handler_abi.h): Kestrel's.
    /// </summary>
    public const uint DefaultMinBodyRate = 240;
    public const uint DefaultMinBodyRateGraceMilliseconds = 5000;
    public static readonly MinDataRate DefaultMinRequestBodyDataRate =
        new(DefaultMinBodyRate, TimeSpan.FromMilliseconds(DefaultMinBodyRateGraceMilliseconds));

    /// <summary>Set once the server registered with the host: start-up is over.</summary>
    public static volatile bool ServerRegistered;

    /// <summary>Tells the host the app failed before its server started (500.30); never throws.</summary>
    public static bool ReportStartFailure(string text)
    {
        try
        {
            var host = TryGetHost(out _);
            if (host == null || host->StartFailed == null)
                return false;
            var bytes = Encoding.UTF8.GetBytes(text);
            fixed (byte* data = bytes)
                host->StartFailed(host->HostCtx, data, (nuint)bytes.Length);
            return true;
        }
        catch
        {
            return false;
        }
    }

    /// <summary>Writes one line to the host's debug log; never throws.</summary>
    public static void Log(AncmLogLevel level, string message)
    {
        try
        {
            var host = TryGetHost(out _);
            if (host == null || host->Log == null)
                return;
            var length = Encoding.UTF8.GetByteCount(message);
            var buffer = length <= 512 ? stackalloc byte[length] : new byte[length];
            Encoding.UTF8.GetBytes(message, buffer);
            fixed (byte* data = buffer)
                host->Log(host->HostCtx, (int)level, data, (nuint)length);
        }
        catch
        {
            // Logging must never take the server down.
        }
    }
}
