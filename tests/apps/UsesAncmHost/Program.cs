using Microsoft.AspNetCore.Hosting.Server;

// Opts in explicitly: AncmServer under ancm-host in-process, Kestrel otherwise.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseAncmHost();
var app = builder.Build();

app.MapGet("/", () => "uses ancm host");
app.MapGet("/server", (IServiceProvider services) => services.GetRequiredService<IServer>().GetType().Name);

app.Run();
