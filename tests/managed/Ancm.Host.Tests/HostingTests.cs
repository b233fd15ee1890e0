using Ancm.Host;
using Ancm.Host.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// How the server gets into a host. Nothing here starts a server: without
// libancm_inproc.so only the registrations can be checked. The order matters:
// the observer, once subscribed, stays for the whole process.
static class HostingTests
{
    public static void Register()
    {
        TestRunner.Add("Outside ancm-host the startup hook and UseAncmHost change nothing", () =>
        {
            StartupHook.Initialize();
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseAncmHost();
            using var app = builder.Build();
            Expect.Equal("KestrelServerImpl", app.Services.GetRequiredService<IServer>().GetType().Name);
        });
        TestRunner.Add("Outside ancm-host AncmServer refuses to start, saying why", async () =>
        {
            var server = new AncmServer();
            try
            {
                await server.StartAsync(new NoApplication(), CancellationToken.None);
                throw new Exception("started without a host");
            }
            catch (InvalidOperationException e)
            {
                Expect.True(e.Message.Contains("ANCM_MANAGED_HOST"), "the message names the property: " + e.Message);
            }
        });
        TestRunner.Add("AncmServer lists the addresses the host listens on", () =>
        {
            Expect.Equal(0, new AncmServer().Features.Get<IServerAddressesFeature>()!.Addresses.Count);
            AppContext.SetData("ANCM_SERVER_ADDRESSES", "http://127.0.0.1:5000;http://[::]:8080");
            try
            {
                var addresses = new AncmServer().Features.Get<IServerAddressesFeature>()!.Addresses;
                Expect.Equal("http://127.0.0.1:5000|http://[::]:8080", string.Join("|", addresses));
            }
            finally
            {
                AppContext.SetData("ANCM_SERVER_ADDRESSES", null);
            }
        });
        TestRunner.Add("Under ancm-host UseAncmHost makes AncmServer the only IServer", () =>
        {
            AppContext.SetData("ANCM_MANAGED_HOST", "0");
            try
            {
                var builder = WebApplication.CreateBuilder();
                builder.WebHost.UseAncmHost();
                using var app = builder.Build();
                Expect.Equal(typeof(AncmServer), app.Services.GetRequiredService<IServer>().GetType());
                Expect.Equal(1, app.Services.GetServices<IServer>().Count());
            }
            finally
            {
                AppContext.SetData("ANCM_MANAGED_HOST", null);
            }
        });
        TestRunner.Add("The HostBuilding observer wins over Kestrel in a stock WebApplication", () =>
        {
            HostBuildingObserver.Subscribe();
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseKestrel(); // even registered again by the app itself
            using var app = builder.Build();
            Expect.Equal(typeof(AncmServer), app.Services.GetRequiredService<IServer>().GetType());
            Expect.Equal(1, app.Services.GetServices<IServer>().Count());
        });
        TestRunner.Add("The HostBuilding observer wins over Kestrel in a generic host with ConfigureWebHostDefaults", () =>
        {
            HostBuildingObserver.Subscribe();
            using var host = Host.CreateDefaultBuilder()
                .ConfigureWebHostDefaults(web => web.Configure(_ => { }))
                .Build();
            Expect.Equal(typeof(AncmServer), host.Services.GetRequiredService<IServer>().GetType());
        });
        TestRunner.Add("The HostBuilding observer also covers a slim builder", () =>
        {
            HostBuildingObserver.Subscribe();
            var builder = WebApplication.CreateSlimBuilder();
            using var app = builder.Build();
            Expect.Equal(typeof(AncmServer), app.Services.GetRequiredService<IServer>().GetType());
        });
    }

    private sealed class NoApplication : IHttpApplication<object>
    {
        public object CreateContext(Microsoft.AspNetCore.Http.Features.IFeatureCollection contextFeatures) => new();
        public Task ProcessRequestAsync(object context) => Task.CompletedTask;
        public void DisposeContext(object context, Exception? exception) { }
    }
}
