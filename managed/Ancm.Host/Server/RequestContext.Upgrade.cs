// IHttpUpgradeFeature and IHttpExtendedConnectFeature, for app.UseWebSockets():
// the status (101 for an HTTP/1.1 Upgrade, 200 for an HTTP/2 extended CONNECT,
// RFC 8441) and the headers go out through set_status/add_header, then native
// upgrade() sends the head and hands back the raw connection (HTTP/1.1) or the
// stream's DATA (HTTP/2), which the app gets as a duplex Stream.
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Ancm.Host.Server;

internal abstract partial class RequestContext : IHttpUpgradeFeature, IHttpExtendedConnectFeature
{
    private bool _isUpgradable;
    private string? _connectProtocol;
    private UpgradedStream? _upgradedStream;

    public bool IsUpgradableRequest => _isUpgradable;

    public Task<Stream> UpgradeAsync()
    {
        if (!_isUpgradable)
            throw new InvalidOperationException("This request cannot be upgraded.");
        return SwitchToStreamAsync(StatusCodes.Status101SwitchingProtocols);
    }

    // ---------------------------------------------------------------- IHttpExtendedConnectFeature

    bool IHttpExtendedConnectFeature.IsExtendedConnect => _connectProtocol is not null;

    string? IHttpExtendedConnectFeature.Protocol => _connectProtocol;

    /// <summary>As Kestrel's Http2Stream: a 200 accepts it, the stream's DATA is the tunnel.</summary>
    async ValueTask<Stream> IHttpExtendedConnectFeature.AcceptAsync()
    {
        if (_connectProtocol is null)
            throw new InvalidOperationException("This request is not an extended CONNECT.");
        return await SwitchToStreamAsync(StatusCodes.Status200OK).ConfigureAwait(false);
    }

    private async Task<Stream> SwitchToStreamAsync(int status)
    {
        if (_upgradedStream is not null)
            throw new InvalidOperationException("The request has already been upgraded.");
        if (HasStarted)
            throw new InvalidOperationException("The response has already started; the request cannot be upgraded.");

        _statusCode = status;
        _reasonPhrase = null;
        await StartResponseAsync().ConfigureAwait(false);
        // upgrade() sends the head.
        MoveTo(ResponsePhase.HeadSent);

        var stream = await StartUpgrade().ConfigureAwait(false);
        if (stream == 0)
            throw new IOException("The connection could not be upgraded.");

        _upgradedStream = new UpgradedStream(CreateNativeStream(stream));
        return _upgradedStream;
    }

    private unsafe Task<nint> StartUpgrade()
    {
        var upgraded = new TaskCompletionSource<nint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = GCHandle.Alloc(upgraded);
        if (!_native.Upgrade(&OnUpgraded, GCHandle.ToIntPtr(handle)))
        {
            handle.Free();
            throw new IOException("The request has ended; it cannot be upgraded.");
        }
        return upgraded.Task;
    }

    private unsafe NativeStream CreateNativeStream(nint stream) => new(_native.Api, stream);

    [UnmanagedCallersOnly]
    private static unsafe void OnUpgraded(nint ctx, nint stream)
    {
        try
        {
            var handle = GCHandle.FromIntPtr(ctx);
            var upgraded = (TaskCompletionSource<nint>)handle.Target!;
            handle.Free();
            upgraded.TrySetResult(stream);
        }
        catch (Exception e)
        {
            NativeHost.Log(AncmLogLevel.Error, "Upgrade callback failed: " + e);
        }
    }

    // "Connection: keep-alive, Upgrade" plus an Upgrade header, as Kestrel checks.
    private static bool IsUpgradeRequest(IHeaderDictionary headers)
    {
        if (StringValues.IsNullOrEmpty(headers[HeaderNames.Upgrade]))
            return false;
        foreach (var value in headers[HeaderNames.Connection])
        {
            if (value is null)
                continue;
            foreach (var token in value.AsSpan().Split(','))
            {
                if (value.AsSpan()[token].Trim().Equals("upgrade", StringComparison.OrdinalIgnoreCase))
                    return true;
            }
        }
        return false;
    }
}
