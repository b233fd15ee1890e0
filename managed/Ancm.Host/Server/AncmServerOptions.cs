// Settings of the in-process server, configurable like KestrelServerOptions:
// builder.Services.Configure<AncmServerOptions>(o => ...).
using Ancm.Host.Native;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ancm.Host;

public sealed class AncmServerOptions
{
    /// <summary>
    /// The largest request body the app may read, in bytes (null: no limit
    /// here; the host's web.config limit still applies). Per request through
    /// IHttpMaxRequestBodySizeFeature. Defaults to web.config's requestLimits
    /// maxAllowedContentLength (30,000,000 unless set), as IISServerOptions does
    /// under IIS in-process.
    /// </summary>
    public long? MaxRequestBodySize { get; set; } = NativeHost.MaxAllowedContentLength;

    /// <summary>
    /// The slowest a client may send a request body, counted over the time
    /// the app's reads wait for it (null: no minimum). Per request through
    /// IHttpMinRequestBodyDataRateFeature. Kestrel's default: 240 bytes per
    /// second after a 5 second grace period; a body under it gets 408.
    /// </summary>
    public MinDataRate? MinRequestBodyDataRate { get; set; } = NativeHost.DefaultMinRequestBodyDataRate;

    /// <summary>Whether synchronous Read/Write on the request and response bodies are allowed.</summary>
    public bool AllowSynchronousIO { get; set; }
}
