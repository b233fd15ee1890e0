// What the app can see of the server it runs on: server variables, the
// server's addresses, request header text, and how odd response heads go out.
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

// GET /var/{name}: HttpContext.GetServerVariable(name), 404 "(null)" when null.
// ?set=VALUE sets it first (as URL Rewrite does), then reads it back.
app.MapGet("/var/{name}", (HttpContext context, string name) =>
{
    var feature = context.Features.Get<IServerVariablesFeature>();
    if (feature is null)
        return Results.Text("no IServerVariablesFeature", statusCode: 501);
    if (context.Request.Query.TryGetValue("set", out var value))
        feature[name] = value.ToString();
    return context.GetServerVariable(name) is string text
        ? Results.Text(text)
        : Results.Text("(null)", statusCode: 404);
});

// GET /addresses: IServerAddressesFeature's addresses, one a line.
app.MapGet("/addresses", (IServer server) =>
    string.Join("\n", server.Features.Get<IServerAddressesFeature>()?.Addresses ?? Array.Empty<string>()));

// GET /header-chars/{name}: the request header's value as UTF-16 code units, "U+XXXX" each.
app.MapGet("/header-chars/{name}", (HttpContext context, string name) =>
    string.Join(" ", context.Request.Headers[name].ToString().Select(c => $"U+{(int)c:X4}")));

// GET /status/{code}: that status, no reason phrase, body "status".
app.MapGet("/status/{code:int}", (HttpContext context, int code) =>
{
    context.Response.StatusCode = code;
    return context.Response.WriteAsync("status");
});

// GET /reason?text=T: sets ReasonPhrase to T; "rejected: <message>" (200) if the server refuses it.
app.MapGet("/reason", async (HttpContext context) =>
{
    var text = context.Request.Query["text"].ToString();
    try
    {
        context.Features.Get<IHttpResponseFeature>()!.ReasonPhrase = text;
    }
    catch (InvalidOperationException e)
    {
        await context.Response.WriteAsync("rejected: " + e.Message);
        return;
    }
    await context.Response.WriteAsync("accepted");
});

// GET /bad-header?code=N: a response header whose value holds char N, and no
// body written: the server finds it when it commits the head.
app.MapGet("/bad-header", (HttpContext context) =>
{
    var code = int.Parse(context.Request.Query["code"].ToString());
    context.Response.Headers["X-Bad"] = "a" + (char)code + "b";
    return Task.CompletedTask;
});

// GET /protocol: what the app sees of the protocol and the connection: the
// version, whether trailers and resets are offered (HTTP/2 only), whether
// it can upgrade, whether the TLS features are there, and the request's trailers.
app.MapGet("/protocol", (HttpContext context) =>
{
    var features = context.Features;
    return $"protocol={context.Request.Protocol} supports-trailers={context.Response.SupportsTrailers()} " +
           $"reset={features.Get<IHttpResetFeature>() is not null} " +
           $"upgradable={features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest} " +
           $"tls-handshake={features.Get<ITlsHandshakeFeature>() is not null} " +
           $"tls-connection={features.Get<ITlsConnectionFeature>() is not null} " +
           $"request-trailers={features.Get<IHttpRequestTrailersFeature>()?.Available}";
});

app.Run();
