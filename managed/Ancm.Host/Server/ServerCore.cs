// What every request of one running AncmServer shares: the native host, the
// options, what the host told the process at start, the logger and the
// in-flight count. The generic subclass knows the
// application's context type and creates the matching RequestContext.
using System;
using Ancm.Host.Native;
using Microsoft.Extensions.Logging;

namespace Ancm.Host.Server;

internal abstract unsafe class ServerCore
{
    private volatile bool _stopping;

    protected ServerCore(AncmManagedHost* host, AncmServerOptions options, ILogger logger)
    {
        Host = host;
        Api = host->RequestApi;
        Options = options;
        Logger = logger;
        // Read once at start, as IIS does: the app sets it in runtimeconfig or before Run().
        AppContext.TryGetSwitch(HttpText.Latin1RequestHeadersSwitch, out var latin1);
        Latin1RequestHeaders = latin1;
        PhysicalPath = ServerVariables.PhysicalPathFromEnvironment();
    }

    public bool Latin1RequestHeaders { get; }

    /// <summary>The app folder with a trailing '/' (APPL_PHYSICAL_PATH).</summary>
    public string PhysicalPath { get; }

    public AncmManagedHost* Host { get; }

    public AncmRequestApi* Api { get; }

    public AncmServerOptions Options { get; }

    public ILogger Logger { get; }

    public RequestTracker Tracker { get; } = new();

    /// <summary>Set by StopAsync: requests that still arrive get 503.</summary>
    public bool IsStopping
    {
        get => _stopping;
        set => _stopping = value;
    }

    /// <summary>A new request from on_request (a native thread): must not block.</summary>
    public void Enqueue(nint request)
    {
        Tracker.Enter();
        try
        {
            var context = CreateContext(new NativeRequest(Api, request));
            // Decided now, not when the queued work runs: a request that came
            // in before the stop is served even if it starts running after it.
            context.ArrivedWhileStopping = IsStopping;
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(context, preferLocal: false);
        }
        catch
        {
            Tracker.Exit();
            throw;
        }
    }

    protected abstract RequestContext CreateContext(NativeRequest request);

    public void LogError(Exception exception, string message)
    {
        NativeHost.Log(AncmLogLevel.Error, message + ": " + exception);
        try
        {
            Logger.LogError(exception, "{Message}", message);
        }
        catch
        {
            // The app's logging failing must not fail the request path.
        }
    }
}

internal sealed unsafe class ServerCore<TContext> : ServerCore where TContext : notnull
{
    public ServerCore(AncmManagedHost* host, Microsoft.AspNetCore.Hosting.Server.IHttpApplication<TContext> application,
        AncmServerOptions options, ILogger logger)
        : base(host, options, logger)
    {
        Application = application;
    }

    public Microsoft.AspNetCore.Hosting.Server.IHttpApplication<TContext> Application { get; }

    protected override RequestContext CreateContext(NativeRequest request) => new RequestContext<TContext>(this, request);
}
