// Puts AncmServer into an unmodified app. Every Build() of a generic host
// (HostBuilder, HostApplicationBuilder, and so WebApplicationBuilder) creates
// a DiagnosticListener named "Microsoft.Extensions.Hosting" and writes
// "HostBuilding" with the builder before it builds the service provider.
// On .NET 8 to 10 the payload is an IHostBuilder: the HostBuilder itself, or
// for HostApplicationBuilder (WebApplicationBuilder underneath) an adapter
// whose ConfigureServices callbacks run at the start of its Build(). Either
// way a ConfigureServices callback added now runs after every registration
// the app made, Kestrel's included, so the server registered there wins.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using Ancm.Host.Native;
using Microsoft.Extensions.Hosting;

namespace Ancm.Host.Hosting;

internal sealed class HostBuildingObserver : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    private const string ListenerName = "Microsoft.Extensions.Hosting";
    private const string HostBuildingEvent = "HostBuilding";

    private static readonly HostBuildingObserver s_instance = new();
    private static IDisposable? s_subscription;

    public static void Subscribe()
    {
        lock (s_instance)
            s_subscription ??= DiagnosticListener.AllListeners.Subscribe(s_instance);
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name == ListenerName)
            listener.Subscribe(this, static (name, _, _) => name == HostBuildingEvent);
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key != HostBuildingEvent)
            return;
        try
        {
            switch (value.Value)
            {
                case IHostBuilder builder:
                    builder.ConfigureServices(static (_, services) => AncmServerRegistration.ReplaceServer(services));
                    NativeHost.Log(AncmLogLevel.Info, $"startup hook: AncmServer registered on {builder.GetType().Name}");
                    break;
                case HostApplicationBuilder builder:
                    // Not what .NET 8-10 pass, but its service collection is
                    // still open at this point if a version ever does.
                    AncmServerRegistration.ReplaceServer(builder.Services);
                    NativeHost.Log(AncmLogLevel.Info, "startup hook: AncmServer registered on HostApplicationBuilder");
                    break;
                default:
                    NativeHost.Log(AncmLogLevel.Warning,
                        $"startup hook: unexpected HostBuilding payload {value.Value?.GetType().FullName ?? "null"}");
                    break;
            }
        }
        catch (Exception e)
        {
            // The app must still start; without the server it will not
            // register and the host reports a start-up failure.
            NativeHost.Log(AncmLogLevel.Error, "startup hook: registering AncmServer failed: " + e);
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }
}
