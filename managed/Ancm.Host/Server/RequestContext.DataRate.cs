// IHttpMinRequestBodyDataRateFeature, as Kestrel offers it: the slowest the
// client may send this request's body. The host measures and enforces it
// (set_min_body_rate); a body under it fails the app's read with a 408
// BadHttpRequestException. gRPC turns it off for its client streams.
using System;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IHttpMinRequestBodyDataRateFeature
{
    private MinDataRate? _minRequestBodyDataRate;

    /// <summary>The app's server-wide rate, told to the host only when it is not the host's own default.</summary>
    private void ApplyServerMinDataRate()
    {
        _minRequestBodyDataRate = _server.Options.MinRequestBodyDataRate;
        if (_hasBody && !IsHostDefault(_minRequestBodyDataRate))
            SendMinDataRate(_minRequestBodyDataRate);
    }

    public MinDataRate? MinDataRate
    {
        get => _minRequestBodyDataRate;
        set
        {
            _minRequestBodyDataRate = value;
            SendMinDataRate(value);
        }
    }

    private static bool IsHostDefault(MinDataRate? rate) =>
        rate is not null && rate.BytesPerSecond == NativeHost.DefaultMinBodyRate &&
        rate.GracePeriod == TimeSpan.FromMilliseconds(NativeHost.DefaultMinBodyRateGraceMilliseconds);

    // MinDataRate refuses a grace period of a second or less, the host one under a second.
    private void SendMinDataRate(MinDataRate? rate)
    {
        if (rate is null || rate.BytesPerSecond <= 0)
        {
            _native.SetMinBodyRate(0, 0);
            return;
        }
        var bytesPerSecond = (uint)Math.Clamp(Math.Ceiling(rate.BytesPerSecond), 1, uint.MaxValue);
        var grace = (uint)Math.Clamp(rate.GracePeriod.TotalMilliseconds, 1000, uint.MaxValue);
        _native.SetMinBodyRate(bytesPerSecond, grace);
    }
}
