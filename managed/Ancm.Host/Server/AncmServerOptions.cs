// Settings of the in-process server, configurable like KestrelServerOptions:
// builder.Services.Configure<AncmServerOptions>(o => ...).
using Ancm.Host.Native;

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

    /// <summary>Whether synchronous Read/Write on the request and response bodies are allowed.</summary>
    public bool AllowSynchronousIO { get; set; }
}
