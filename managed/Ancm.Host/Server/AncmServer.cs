// The IServer that ASP.NET Core runs on inside ancm-host: no sockets of its
// own; libancm_inproc.so hands it each request through on_request. Put in by
// the startup hook (unmodified apps) or UseAncmHost().
using System;
using System.Threading;
using System.Threading.Tasks;
using Ancm.Host.Native;
using Ancm.Host.Server;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Ancm.Host;

public sealed class AncmServer : IServer
{
    /// <summary>The runtime property in which the host lists its listening URLs, ';'-separated.</summary>
    internal const string AddressesProperty = "ANCM_SERVER_ADDRESSES";

    private readonly IHostApplicationLifetime? _lifetime;
    private readonly AncmServerOptions _options;
    private readonly ILogger _logger;
    private ServerCore? _core;
    private int _shutdownRequested;
    private int _drainedSignalled;

    public AncmServer(IOptions<AncmServerOptions>? options = null, ILoggerFactory? loggerFactory = null,
        IHostApplicationLifetime? lifetime = null)
    {
        _options = options?.Value ?? new AncmServerOptions();
        _logger = (ILogger?)loggerFactory?.CreateLogger<AncmServer>() ?? NullLogger.Instance;
        _lifetime = lifetime;

        // As IIS lists its site's bindings: the host owns the listeners, the
        // app sees where they are.
        var addresses = new ServerAddressesFeature();
        if (AppContext.GetData(AddressesProperty) is string listed)
        {
            foreach (var url in listed.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                addresses.Addresses.Add(url);
        }
        Features.Set<IServerAddressesFeature>(addresses);
    }

    public IFeatureCollection Features { get; } = new FeatureCollection();

    public unsafe Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        ArgumentNullException.ThrowIfNull(application);
        if (_core is not null)
            throw new InvalidOperationException("The server has already started.");

        var host = NativeHost.Host; // throws outside ancm-host, with the reason
        WarnIfLimitAboveTheHosts(host);
        var core = new ServerCore<TContext>(host, application, _options, _logger);
        if (!ServerCallbacks.TryInstall(core, OnShutdown))
            throw new InvalidOperationException("Another AncmServer already runs in this process.");
        _core = core;

        // register_server may call on_request at once for requests that
        // waited for start-up, so everything is in place before it.
        var table = ServerCallbacks.Table;
        if (host->RegisterServer(host->HostCtx, &table) != 0)
        {
            ServerCallbacks.Uninstall(core);
            _core = null;
            throw new InvalidOperationException("ancm-host refused the server: one is already registered.");
        }
        NativeHost.ServerRegistered = true;
        NativeHost.Log(AncmLogLevel.Info, "AncmServer registered; requests flow to the application");
        return Task.CompletedTask;
    }

    // As IIS warns: raising the app's limit above web.config's does not let
    // larger bodies past the host, which answers 413 before the app runs.
    private unsafe void WarnIfLimitAboveTheHosts(AncmManagedHost* host)
    {
        var hostLimit = (long)host->MaxRequestBodySize;
        if (_options.MaxRequestBodySize is not long appLimit || appLimit <= hostLimit)
            return;
        var message = $"AncmServerOptions.MaxRequestBodySize ({appLimit}) is above web.config's " +
                      $"requestLimits maxAllowedContentLength ({hostLimit}): ancm-host still answers 413 " +
                      "to larger bodies unless --max-body-bytes allows them";
        NativeHost.Log(AncmLogLevel.Warning, message);
        _logger.LogWarning("{Message}", message);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var core = _core;
        if (core is null)
            return;
        core.IsStopping = true;
        try
        {
            await core.Tracker.WhenIdle().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            NativeHost.Log(AncmLogLevel.Warning,
                $"AncmServer stopped with {core.Tracker.Count} request(s) still running");
        }
    }

    public void Dispose()
    {
        if (_core is { } core)
        {
            core.IsStopping = true;
            // Stays installed: requests that still arrive get a 503, and a
            // shutdown still gets its drained().
        }
    }

    // on_shutdown, on a native thread: start the app's graceful stop and
    // report drained() once every request is answered; nothing here blocks.
    private void OnShutdown()
    {
        if (Interlocked.Exchange(ref _shutdownRequested, 1) != 0)
            return;
        NativeHost.Log(AncmLogLevel.Info, "AncmServer shutting down: stopping the application");
        ThreadPool.UnsafeQueueUserWorkItem(static server => _ = server.RunShutdownAsync(), this, preferLocal: false);
    }

    private static unsafe void SignalDrained()
    {
        var host = NativeHost.Host;
        host->Drained(host->HostCtx);
    }

    private async Task RunShutdownAsync()
    {
        try
        {
            if (_core is { } core)
                core.IsStopping = true;
            _lifetime?.StopApplication();
            if (_core is { } running)
                await running.Tracker.WhenIdle().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            NativeHost.Log(AncmLogLevel.Error, "Stopping the application failed: " + e);
        }
        try
        {
            if (Interlocked.Exchange(ref _drainedSignalled, 1) == 0)
                SignalDrained();
        }
        catch (Exception e)
        {
            NativeHost.Log(AncmLogLevel.Error, "drained() failed: " + e);
        }
    }
}
