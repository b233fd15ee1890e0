// UseAncmHost(): opt in explicitly, like UseIISIntegration. Registers
// AncmServer when running in-process under ancm-host, does nothing otherwise,
// so the same app still runs on Kestrel with `dotnet app.dll`. In the
// Microsoft.AspNetCore.Hosting namespace so that web projects find it without
// an extra using.
using System;
using Ancm.Host.Hosting;
using Ancm.Host.Native;
using Microsoft.AspNetCore.Builder;

namespace Microsoft.AspNetCore.Hosting;

public static class AncmHostBuilderExtensions
{
    public static IWebHostBuilder UseAncmHost(this IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (NativeHost.IsPresent)
        {
            UnhandledExceptionReporter.Install();
            builder.ConfigureServices(AncmServerRegistration.ReplaceServer);
        }
        return builder;
    }

    public static WebApplicationBuilder UseAncmHost(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.UseAncmHost();
        return builder;
    }
}
