using System.Collections;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

// GET / describes the request as the app saw it, and the process environment.
app.MapGet("/", (HttpContext context) => Results.Json(new
{
    pid = Environment.ProcessId,
    remoteIp = context.Connection.RemoteIpAddress?.ToString(),
    remotePort = context.Connection.RemotePort,
    scheme = context.Request.Scheme,
    protocol = context.Request.Protocol,
    host = context.Request.Host.Value,
    pathBase = context.Request.PathBase.Value,
    headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString()),
    env = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
        .ToDictionary(e => (string)e.Key, e => (string?)e.Value),
}));

// GET /env/{name} returns one variable's value, 404 if it is not set.
app.MapGet("/env/{name}", (string name) =>
    Environment.GetEnvironmentVariable(name) is string value ? Results.Text(value) : Results.NotFound());

app.MapGet("/pid", () => Environment.ProcessId.ToString());

app.Run();
