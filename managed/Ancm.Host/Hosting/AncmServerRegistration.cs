// Makes AncmServer the one IServer of a service collection. Whatever server
// was registered before (Kestrel from ConfigureWebHostDefaults or
// WebApplication.CreateBuilder) is removed, so the order of registrations
// cannot bring Kestrel back.
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ancm.Host.Hosting;

internal static class AncmServerRegistration
{
    public static void ReplaceServer(IServiceCollection services)
    {
        services.RemoveAll<IServer>();
        services.AddSingleton<IServer, AncmServer>();
    }
}
