using Ancm.Host;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// The app-wide request body limit: its default comes from the host (web.config's
// requestLimits maxAllowedContentLength, as IIS hands it to IISServerOptions),
// and the app's own configuration still wins over it.
static class BodySizeTests
{
    public static void Register()
    {
        TestRunner.Add("Outside ancm-host the body limit defaults to IIS's 30,000,000 bytes", () =>
        {
            Expect.Equal<long?>(30_000_000, new AncmServerOptions().MaxRequestBodySize);
        });
        TestRunner.Add("An app's Configure<AncmServerOptions> wins over the default", () =>
        {
            var builder = WebApplication.CreateBuilder();
            builder.Services.Configure<AncmServerOptions>(o => o.MaxRequestBodySize = null);
            using var app = builder.Build();
            var options = app.Services.GetRequiredService<IOptions<AncmServerOptions>>().Value;
            Expect.Equal<long?>(null, options.MaxRequestBodySize);
        });
    }
}
