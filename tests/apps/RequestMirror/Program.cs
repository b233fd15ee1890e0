// What the app received, for the hostile-input tests: each line of the answer
// is one fact, so a test can assert on exactly what reached the application.
using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

// Every request the app ever ran, in order: a smuggled request shows up here.
var seen = new ConcurrentQueue<string>();
app.Use(async (context, next) =>
{
    var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
    seen.Enqueue($"{context.Request.Method} {raw}");
    await next(context);
});

// Every answer names the Kestrel connection that carried it (response header
// X-Upstream-Connection), so a test sees whether the proxy reused one.
app.Use((context, next) =>
{
    context.Response.Headers["X-Upstream-Connection"] = context.Connection.Id;
    return next(context);
});

// GET /seen: the requests run so far, one "METHOD raw-target" per line.
app.MapGet("/seen", () => string.Join('\n', seen) + "\n");

// /ignore-body (any method): answers at once without reading the body.
app.Map("/ignore-body", () => "ignored\n");

// /sized?length=N (GET or HEAD): a body of N bytes with its Content-Length
// set by the app; on HEAD the server sends the length and no body.
app.MapMethods("/sized", new[] { "GET", "HEAD" }, async (HttpContext context, int length) =>
{
    context.Response.ContentLength = length;
    context.Response.ContentType = "text/plain";
    if (!HttpMethods.IsHead(context.Request.Method))
        await context.Response.WriteAsync(new string('x', length));
});

// /unsized (GET or HEAD): a body whose length the app never states.
app.MapMethods("/unsized", new[] { "GET", "HEAD" }, async (HttpContext context) =>
{
    context.Response.ContentType = "text/plain";
    if (!HttpMethods.IsHead(context.Request.Method))
        await context.Response.WriteAsync("no length given\n");
});

// /not-modified-with-body: a 304 that announces 5 bytes and tries to send
// them; the server must send no body after a 304's head.
app.MapGet("/not-modified-with-body", async (HttpContext context) =>
{
    context.Response.StatusCode = StatusCodes.Status304NotModified;
    context.Response.ContentLength = 5;
    try
    {
        await context.Response.WriteAsync("hello");
    }
    catch (InvalidOperationException)
    {
        // Refused, as Kestrel refuses a body on a 304.
    }
});

// Anything else: the request as the app sees it, body included. With
// ?unhurried the body may come as slowly as the client likes (no minimum
// data rate, as gRPC asks for its client streams).
app.MapFallback(async (HttpContext context) =>
{
    var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
    if (limit is { IsReadOnly: false })
        limit.MaxRequestBodySize = null;
    var rate = context.Features.Get<IHttpMinRequestBodyDataRateFeature>();
    var minRate = rate?.MinDataRate is { } r ? $"{r.BytesPerSecond}/{r.GracePeriod.TotalSeconds}" : "none";
    if (rate is not null && context.Request.Query.ContainsKey("unhurried"))
        rate.MinDataRate = null;
    using var body = new MemoryStream();
    await context.Request.Body.CopyToAsync(body);

    var request = context.Request;
    var text = new StringBuilder();
    text.Append($"method: {request.Method}\n");
    text.Append($"raw-target: {context.Features.Get<IHttpRequestFeature>()?.RawTarget}\n");
    text.Append($"path: {request.PathBase}{request.Path}\n");
    text.Append($"query: {request.QueryString}\n");
    text.Append($"protocol: {request.Protocol}\n");
    text.Append($"host: {request.Host}\n");
    text.Append($"upgradable: {context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest}\n");
    foreach (var (name, values) in request.Headers)
        foreach (var value in values)
            text.Append($"header: {name}: {value}\n");
    text.Append($"min-data-rate: {minRate}\n");
    text.Append($"body-length: {body.Length}\n");
    text.Append($"body: {Encoding.Latin1.GetString(body.ToArray())}\n");
    context.Response.ContentType = "text/plain";
    await context.Response.WriteAsync(text.ToString());
});

app.Run();
