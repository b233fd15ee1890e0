// Settings of the in-process server, configurable like KestrelServerOptions:
// builder.Services.Configure<AncmServerOptions>(o => ...).
namespace Ancm.Host;

public sealed class AncmServerOptions
{
    /// <summary>
    /// The largest request body the app may read, in bytes (null: no limit).
    /// Per request through IHttpMaxRequestBodySizeFeature. Kestrel's and IIS's default.
    /// </summary>
    public long? MaxRequestBodySize { get; set; } = 30_000_000;

    /// <summary>Whether synchronous Read/Write on the request and response bodies are allowed.</summary>
    public bool AllowSynchronousIO { get; set; }
}
